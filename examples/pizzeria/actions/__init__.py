"""The assistant's Python actions."""
