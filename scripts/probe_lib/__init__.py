"""`scripts/probe`: the engine tried as a hostile user would, through the real `billing` command."""
