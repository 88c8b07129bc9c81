/* filecache.c - to be written */
