"""The scale-out variables as a server reads them: Sentinel, the sharded layer, pgbouncer."""

import json
import os
import subprocess
import sys

SHOW = """
import json
from django.conf import settings
layer = settings.CHANNEL_LAYERS["default"]["CONFIG"]
database = settings.DATABASES["default"]
print(json.dumps({
    "layer_hosts": [{k: v for k, v in host.items() if k != "retry"} for host in layer["hosts"]],
    "prefix": layer["prefix"],
    "cache_pool": settings.CACHES["default"]["OPTIONS"]["pool_class"],
    "prepare_threshold": database["OPTIONS"].get("prepare_threshold", "unset"),
    "server_side_cursors_off": database.get("DISABLE_SERVER_SIDE_CURSORS", False),
    "server_side_binding": database["OPTIONS"].get("server_side_binding", False),
}))
"""


def _settings(env_overrides: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "CHANNEL_", "DB_", "PYTEST"))}
    env.update({"DJANGO_SETTINGS_MODULE": "gameplatform.settings", "SECRET_KEY": "k" * 40, **env_overrides})
    code = "import django; django.setup()\n" + SHOW
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


def _shown(env_overrides: dict) -> dict:
    result = _settings(env_overrides)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_sentinels_point_the_layer_and_the_cache_at_the_named_primary_with_the_urls_database_and_password():
    shown = _shown(
        {
            "REDIS_URL": "redis://:secret@gpmaster/3",
            "REDIS_SENTINELS": "10.0.0.1:26379, 10.0.0.2:26379,10.0.0.3:26380",
            "REDIS_SENTINEL_MASTER": "gpmaster",
            "CHANNEL_LAYER_CONNECTIONS": "1",
        }
    )
    [host] = shown["layer_hosts"]
    assert host["master_name"] == "gpmaster" and host["db"] == 3 and host["password"] == "secret"
    assert host["sentinels"] == [["10.0.0.1", 26379], ["10.0.0.2", 26379], ["10.0.0.3", 26380]]
    assert shown["cache_pool"] == "gameplatform.data.redis.SentinelBlockingPool"
    assert shown["prefix"] == "gp3:"


def test_sentinels_without_a_master_name_or_with_a_bad_address_stop_start_up():
    missing = _settings({"REDIS_URL": "redis://gpmaster/0", "REDIS_SENTINELS": "10.0.0.1:26379"})
    assert missing.returncode != 0 and "REDIS_SENTINEL_MASTER" in missing.stderr
    bad = _settings(
        {"REDIS_URL": "redis://gpmaster/0", "REDIS_SENTINELS": "10.0.0.1", "REDIS_SENTINEL_MASTER": "gpmaster"}
    )
    assert bad.returncode != 0 and "host:port" in bad.stderr


def test_channel_redis_urls_shard_the_layer_and_leave_the_cache_on_redis_url():
    shown = _shown(
        {
            "REDIS_URL": "redis://10.0.0.9:6379/2",
            "CHANNEL_REDIS_URLS": "redis://10.0.0.1:6379/0,redis://10.0.0.2:6379/0",
            "CHANNEL_LAYER_CONNECTIONS": "1",
        }
    )
    assert [host["address"] for host in shown["layer_hosts"]] == ["redis://10.0.0.1:6379/0", "redis://10.0.0.2:6379/0"]
    assert shown["cache_pool"] == "redis.BlockingConnectionPool" and shown["prefix"] == "gp2:"
    alone = _settings({"CHANNEL_REDIS_URLS": "redis://10.0.0.1:6379/0"})
    assert alone.returncode != 0 and "CHANNEL_REDIS_URLS needs REDIS_URL" in alone.stderr


def test_each_layer_server_is_listed_as_many_shards_as_channel_layer_connections_says():
    servers = {"REDIS_URL": "redis://10.0.0.9:6379/2", "CHANNEL_REDIS_URLS": "redis://a:6379/0,redis://b:6379/0"}
    three = _shown({**servers, "CHANNEL_LAYER_CONNECTIONS": "3"})
    assert [host["address"] for host in three["layer_hosts"]] == ["redis://a:6379/0"] * 3 + ["redis://b:6379/0"] * 3
    default = _shown({"REDIS_URL": "redis://10.0.0.9:6379/2"})
    assert [host["address"] for host in default["layer_hosts"]] == ["redis://10.0.0.9:6379/2"] * 8


def test_postgresql_prepares_hot_statements_and_db_pgbouncer_turns_that_and_server_side_cursors_off():
    database = {"DATABASE_URL": "postgres://postgres@127.0.0.1:6432/gameplatform", "REDIS_URL": "redis://x/0"}
    shown = _shown({**database, "DB_PGBOUNCER": "1"})
    assert shown["prepare_threshold"] is None and shown["server_side_cursors_off"] is True
    direct = _shown(database)
    assert direct["prepare_threshold"] == 5 and direct["server_side_cursors_off"] is False
    assert shown["server_side_binding"] is True and direct["server_side_binding"] is True
    assert _shown({**database, "DB_PREPARE": "0"})["prepare_threshold"] is None
