"""Small PyTorch experiments (CPU is enough); torch is the optional ``train`` extra."""
