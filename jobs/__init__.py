"""Background jobs: long work (imports, re-rendering, exports, mail) run by a worker process.

See docs/jobs.md. `services` starts and recovers jobs, `runner` runs one, `kinds` says what each
kind of job does, `archives` unpacks uploaded zips safely.
"""
