# exchange tests
