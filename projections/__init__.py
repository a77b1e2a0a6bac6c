"""Read models fed by the engine's notification log, each rebuildable from zero."""
