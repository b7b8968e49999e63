"""Operations: provision, deploy, logs, status, teardown - front-end agnostic, reporting through one Reporter."""
