"""Pure logic: no I/O, no click, no HTTP. What the plugin decides, testable without a server."""
