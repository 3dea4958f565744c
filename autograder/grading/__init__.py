"""One grade of one submission, instructor side: the pipeline (`grade`), the sandboxed
workers' jobs (`jobs`) and their protocol (`wire`), the hidden checks (`hidden`), the views
(`render`) and the sandbox itself (`sandbox/`). `child/` is what runs inside the sandbox.
"""
