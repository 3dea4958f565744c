"""Reference solutions of the CNN exercise kit (instructor side: never shipped to students)."""
