"""The local stack: the SAM application on one machine, over moto."""
