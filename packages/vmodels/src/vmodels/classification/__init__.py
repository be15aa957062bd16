"""Image classification models. Each family is one module whose builders register themselves
with the model registry; look them up with ``vmodels.list_models(task="classification")``."""
