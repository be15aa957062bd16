"""Example vmodels plugin. Its models register when vmodels imports
:mod:`vmodels_plugin_example.models` through the ``vmodels.models`` entry point."""
