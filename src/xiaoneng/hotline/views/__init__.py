"""Pages of the 12345 hotline (issue 5, §7): one module per audience.

``citizen`` (web form, lookup), ``console`` (operators: queue, register, return visits),
``tickets`` (the ticket page and its actions), ``department`` (the department queue).
"""
