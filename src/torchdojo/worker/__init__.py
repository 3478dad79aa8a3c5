"""WORKER SIDE: code that runs next to the student's code, in the untrusted processes.

Everything in this package runs in the fork server or in a worker forked from it, where the
student's code can read, replace or rewrite any of it. So nothing here decides a score or a
limit: it sets the process up (`setup`), answers requests and encodes results (`loop`), and
forks workers (`forkserver`). What it sends back is checked by the scorer (`torchdojo.wire`
decodes it under limits, `torchdojo.sandbox` holds every limit and every proxy).

This package never imports `torchdojo.sandbox` (the scorer's side).
"""
