"""Activity demo commits, so the README's curl examples return data (documents 003/004)."""
from __future__ import annotations

from .model import Entity, NewCommit

KAI = Entity("6868e4af-2996-46c6-8e42-1ae873f8a0ba", "kai.evens", "users")
ADMIN = Entity("42bf351c-f9ec-40af-84ad-e976fec7f4bd", "admin", "users")
WEB = Entity("b55c209d-e68f-4096-9a2c-5ae52dd2500c", "web_servers", "node_groups")
NODE = Entity("web01.example.com", "web01.example.com", "node")


def _event(kind, what, description, message) -> dict:
    return {"type": kind, "what": what, "description": description, "message": message}


COMMITS = (
    NewCommit("classifier", KAI, (WEB,), "2019-03-05T18:52:02.391000Z",
              (_event("create", "node_group", "create_node_group",
                      f'Created the "web_servers" group with id {WEB.id}'),
               _event("edit", "node_group_environment", "edit_node_group_environment",
                      'Changed the environment to "production"')), "10.32.1.7"),
    NewCommit("classifier", KAI, (WEB,), "2019-03-05T18:52:27.760000Z",
              (_event("delete", "node_group", "delete_node_group",
                      f'Deleted the "web_servers" group with id {WEB.id}'),), "10.32.1.7"),
    NewCommit("rbac", ADMIN, (Entity(KAI.id, KAI.name, "users"),), "2019-11-15T10:00:00.000000Z",
              (_event("edit", "user", "edit_user", "Changed the email of kai.evens"),),
              "192.168.0.12"),
    NewCommit("puppet-ca", ADMIN, (NODE,), "2022-08-08T23:18:47.000000Z",
              (_event("sign-certificate", "node", "certificate_successfully_sign",
                      "Signed certificate for web01.example.com"),), "192.168.0.12"),
    # pe-console: the demo jobs' runs (cli/demo.py), recorded as the service records them.
)


def load_activity(store) -> int:
    for commit in COMMITS:
        store.add_commit(commit)
    return len(COMMITS)
