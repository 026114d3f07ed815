"""The edges and the composition root: settings, CLI, web app, channels, outbox, scheduler."""
