"""The models themselves: the base model folder, adapters (PEFT and XTuner's), the maths of each
LoRA variant, NaN/Inf counts, and the checks that an adapter pairs with its base.
"""
