package store

// NewTestRedis is newTestRedis for the shared suite, which runs in package store_test.
var NewTestRedis = newTestRedis
