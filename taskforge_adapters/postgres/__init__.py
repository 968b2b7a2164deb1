"""PostgreSQL: the system of record (asyncpg)."""
