"""Report: check a folder (``folder.inspect_folder``): config, tokenizer, weights, layouts, values."""
