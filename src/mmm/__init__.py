"""Marketing mix modeling math for the dbt project: transforms, fit, uncertainty, response, optimisation.

Pure functions over numpy/pandas; the dbt Python models in ``python_models/`` only call them.
"""

__version__ = "0.1.0"
