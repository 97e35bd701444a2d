"""Source: what a path is. ``detect.detect(path)`` asks the detectors in ``detect.DETECTORS``;
``source`` holds the :class:`~.source.Source` description and the generic (PEFT, model) detectors;
``xtuner/`` reads XTuner's work_dirs, checkpoints, keys and config.
"""
