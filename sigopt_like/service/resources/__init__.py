"""REST resources, one module per family; each has ``register(app, context)``."""
