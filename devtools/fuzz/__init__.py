"""Coverage-guided fuzzing of the input parsers with atheris, run by hand (see README, «Fuzzing»).

Each script feeds random bytes to one parser and lets only that parser's documented refusal through: anything
else is a crash atheris reports with the input that caused it (saved as ``crash-…``; make it a regular test).
"""
