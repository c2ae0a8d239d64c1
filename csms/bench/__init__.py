"""`manage.py bench`: the distributed pipeline, the embedded server and an in-memory baseline under the same load.

stack.py starts and stops what is measured, load.py drives it from separate processes, baseline.py is the
in-memory reference server, report.py writes JSON, a text table and PNG plots. Nothing here imports tests.
"""
