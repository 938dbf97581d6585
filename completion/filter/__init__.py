"""The acceptance filter: features, the torch model, training, and the gate the server applies."""
