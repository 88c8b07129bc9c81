/* exchange.c - to be written */
