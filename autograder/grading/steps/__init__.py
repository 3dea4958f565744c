"""The steps of one grading (`autograder.grading.grade`), a module each, in the order they run:

    sandboxes.py  1. the sandboxes (one per exercise: the kit and the instructor's paths hidden,
                     the exercise's forbidden packages too) and their warm templates, started
    (collect)        the submission's modules, from a folder, a zip or a notebook
                     (autograder.core.collect)
    checks.py     2. per exercise: its public checks, then the hidden ones from the seed
    (policy)         the static policy: functions whose source breaks a rule are not run
                     (autograder.core.policy)
    running.py    3. the sandboxed runs: public cases, then hidden ones in workers of their own
    training.py      ... and the grader's MNIST training, in a worker with no student code
    judging.py    4. each outcome judged here, in the grader
    gating.py     5. hidden checks withhold the public points of their function
    outputs.py    6. the result's files: result.json, feedback.md, feedback.html, results.json
"""
