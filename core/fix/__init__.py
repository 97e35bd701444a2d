"""Repair: plan the fixes for an inspected folder (``folder.plan_fix``) and apply them."""
