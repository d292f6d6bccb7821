"""Stand-ins for other agencies' systems (population database, business registry, land registry).

``python -m onestop.peers.server`` serves them over HTTP on loopback, with the signed exchanges of
``onestop.interop.signing``. No Django here. See README.md.
"""
