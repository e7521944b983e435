"""Guest frontends: one subpackage per architecture; each registers itself."""
