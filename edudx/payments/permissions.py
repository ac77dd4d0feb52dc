"""Who sees and changes payment rows (policies are registered here as the payment models are written)."""
