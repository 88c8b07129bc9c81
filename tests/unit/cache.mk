# cache tests
