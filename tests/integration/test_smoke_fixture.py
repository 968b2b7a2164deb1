async def test_fixtures_reach_a_migrated_database(pg_pool, redis_client):
    assert await pg_pool.fetchval("SELECT count(*) FROM jobs") == 0
    assert await redis_client.ping()
