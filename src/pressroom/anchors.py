"""Names the pieces of an edition share, in a module of their own: the layouts write
them, assembly resolves them, and neither should load the other to know them."""

INTERNAL_LINK = "pressroom-anchor:"  # links between pieces of an edition, resolved on assembly
FRONT = "front"  # the piece of an edition before its profiles: cover and contents
BACK = "back"  # the piece after them: the colophon (credits page)
