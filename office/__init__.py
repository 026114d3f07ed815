"""The office's tools (代表工委): the monthly report and ledger, posters, keyword-file
commands, and (later) the web dashboard. Stands on casework and storage like ``handlers``
does; ``bot`` only mounts its routes and command-line commands."""
