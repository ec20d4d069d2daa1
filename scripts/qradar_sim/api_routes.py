"""The console REST endpoints (under /api). Auth, Version, faults and error bodies are handled by
server.py before a handler here runs; a handler raises ApiError for any console error."""
import re

from .errors import ApiError, bad_parameter, not_found
from .listing import list_response, page
from .offenses import CLOSING_REASONS
from .routing import Reply, Router
from .users import register as register_access_routes

api = Router()
register_access_routes(api)

ABOUT = {"build_version": "2020.7.5.20230602162623", "external_version": "7.5.0",
         "release_name": "7.5.0 UpdatePackage 6 (qradar-sim)", "fips_frontend_enabled": False}

# Ariel's flows database: the stand-in holds no flows, but clients may list its columns.
FLOW_COLUMNS = [
    {"name": n, "argument_type": t, "indexable": True, "nullable": True, "object_value_type": t,
     "provider_name": "Flows"}
    for n, t in (("starttime", "NUMBER"), ("endtime", "NUMBER"), ("sourceip", "IP"), ("destinationip", "IP"),
                 ("sourceport", "PORT"), ("destinationport", "PORT"), ("protocolid", "NUMBER"),
                 ("sourcebytes", "NUMBER"), ("destinationbytes", "NUMBER"), ("applicationid", "NUMBER"))]

_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d+(?:\.\d+)?)", re.I)


def _listed(req, items):
    rows, content_range = list_response(items, req.params, req.headers.get("Range"))
    return Reply(200, rows, {"Content-Range": content_range})


def _required(req, name):
    value = req.params.get(name)
    if value is None or value == "":
        raise bad_parameter(f"Missing required parameter: {name}", f"The {name} parameter is required.")
    return value


# ---- system -------------------------------------------------------------------------------------
@api.add("GET", "/api/system/about")
def about(req):
    release = req.console.api_versions.release
    if release is None:
        return Reply(200, ABOUT)
    return Reply(200, dict(ABOUT, external_version=release.split("-")[0],
                           release_name=f"{release.replace('-UP', ' UpdatePackage ')} (qradar-sim)"))


@api.add("GET", "/api/help/versions")
def help_versions(req):
    override = req.console.config.versions   # POST /sim/config {"versions": [...]}: exactly these, all current
    if override:
        return _listed(req, [{"id": n, "version": v, "deprecated": False, "removed": False, "root_resource_ids": []}
                             for n, v in enumerate(sorted(override, key=float), start=1)])
    return _listed(req, req.console.api_versions.listing())


# ---- ariel --------------------------------------------------------------------------------------
@api.add("GET", "/api/ariel/databases")
def databases(req):
    return Reply(200, ["events", "flows"])


@api.add("GET", "/api/ariel/databases/{name}")
def database_columns(req):
    name = req.path_params["name"]
    if name == "events":
        return Reply(200, {"columns": req.console.event_columns})
    if name == "flows":
        return Reply(200, {"columns": FLOW_COLUMNS})
    raise not_found(f"Database {name} does not exist.", "The Ariel database does not exist.")


@api.add("POST", "/api/ariel/validators/aql")
def validate_aql(req):
    text = _required(req, "query_expression")
    try:
        req.console.searches.compile(text)
    except ApiError as exc:
        return Reply(200, {"error_messages": [{"code": str(exc.code), "contexts": [], "message": exc.message,
                                               "severity": "ERROR"}]})
    return Reply(200, {"error_messages": []})


@api.add("GET", "/api/ariel/searches")
def search_ids(req):
    ids = req.console.searches.ids()
    rows, content_range = page(ids, req.headers.get("Range"))
    return Reply(200, rows, {"Content-Range": content_range})


@api.add("POST", "/api/ariel/searches")
def create_search(req):
    searches = req.console.searches
    search, created = searches.create(_required(req, "query_expression"))
    return Reply(201, created, {"Location": f"/api/ariel/searches/{search.search_id}"})


@api.add("GET", "/api/ariel/searches/{id}")
def search_status(req):
    searches = req.console.searches
    search = searches.get(req.path_params["id"])
    wait = _PREFER_WAIT.search(req.headers.get("Prefer") or "")
    if wait is None:
        return Reply(200, searches.snapshot(search))
    done = searches.wait(search, min(float(wait.group(1)), 600.0))
    return Reply(200 if done else 206, searches.snapshot(search))


@api.add("POST", "/api/ariel/searches/{id}")
def update_search(req):
    searches = req.console.searches
    search = searches.get(req.path_params["id"])
    status = req.params.get("status")
    save = req.params.get("save_results")
    if status is None and save is None:
        raise bad_parameter("Nothing to update: give status=CANCELED or save_results=true")
    if status is not None:
        # The API reference spells it CANCELED; qpylib sends CANCELLED. Both mean cancel.
        if status.upper() not in ("CANCELED", "CANCELLED"):
            raise bad_parameter(f"status {status!r} is not valid: only CANCELED is accepted")
        searches.cancel(search)
    if save is not None:
        if save.lower() not in ("true", "false"):
            raise bad_parameter("save_results must be true or false")
        if save.lower() == "true":
            searches.save(search)
    return Reply(200, searches.snapshot(search))


@api.add("DELETE", "/api/ariel/searches/{id}")
def delete_search(req):
    searches = req.console.searches
    search = searches.delete(searches.get(req.path_params["id"]))
    return Reply(202, searches.snapshot(search))


@api.add("GET", "/api/ariel/searches/{id}/results")
def search_results(req):
    searches = req.console.searches
    database, rows = searches.results(searches.get(req.path_params["id"]))
    chosen, content_range = page(rows, req.headers.get("Range"))
    return Reply(200, {database: chosen}, {"Content-Range": content_range})


# ---- offenses -----------------------------------------------------------------------------------
@api.add("GET", "/api/siem/offenses")
def list_offenses(req):
    return _listed(req, req.console.offenses.all())


@api.add("GET", "/api/siem/offenses/{id}")
def get_offense(req):
    offense = req.console.offenses.get(req.path_params["id"])
    return Reply(200, _listed_one(req, offense))


def _listed_one(req, obj):
    if not req.params.get("fields"):
        return obj
    rows, _ = list_response([obj], {"fields": req.params["fields"]}, None)
    return rows[0]


@api.add("POST", "/api/siem/offenses/{id}")
def update_offense(req):
    return Reply(200, _listed_one(req, req.console.offenses.update(req.path_params["id"], req.params)))


@api.add("GET", "/api/siem/offenses/{id}/notes")
def list_notes(req):
    return _listed(req, req.console.offenses.notes(req.path_params["id"]))


@api.add("POST", "/api/siem/offenses/{id}/notes")
def add_note(req):
    note = req.console.offenses.add_note(req.path_params["id"], _required(req, "note_text"))
    return Reply(201, note)


@api.add("GET", "/api/siem/offense_closing_reasons")
def closing_reasons(req):
    return _listed(req, [dict(r) for r in CLOSING_REASONS])


# ---- assets, log sources ------------------------------------------------------------------------
@api.add("GET", "/api/asset_model/assets")
def list_assets(req):
    return _listed(req, req.console.assets.all())


@api.add("GET", "/api/config/event_sources/log_source_management/log_sources")
def list_log_sources(req):
    sources = []
    for source in req.console.catalog.log_sources():
        entry = {"id": None, "name": "", "description": "", "type_id": None, "enabled": True, "gateway": False,
                 "internal": False, "protocol_type_id": 0, "status": {"status": "SUCCESS"}}
        entry.update(source)
        sources.append(entry)
    return _listed(req, sources)


@api.add("GET", "/api/config/network_hierarchy/networks")
def list_networks(req):
    # IBM's REST reference: the deployed hierarchy, objects with id, network_id, group, name, cidr, description,
    # domain_id (location and country_code optional).
    return _listed(req, [dict(n) for n in req.console.networks])


# ---- reference sets -----------------------------------------------------------------------------
@api.add("GET", "/api/reference_data/sets")
def list_sets(req):
    return _listed(req, req.console.refsets.all())


@api.add("POST", "/api/reference_data/sets")
def create_set(req):
    ttl = req.params.get("time_to_live")
    created = req.console.refsets.create(_required(req, "name"), _required(req, "element_type"), ttl)
    return Reply(201, created)


@api.add("GET", "/api/reference_data/sets/{name}")
def get_set(req):
    return Reply(200, req.console.refsets.get(req.path_params["name"]))


@api.add("POST", "/api/reference_data/sets/{name}")
def add_to_set(req):
    refsets = req.console.refsets
    return Reply(200, refsets.add(req.path_params["name"], _required(req, "value"), req.params.get("source")))


@api.add("DELETE", "/api/reference_data/sets/{name}")
def delete_set(req):
    return Reply(202, req.console.refsets.delete(req.path_params["name"]))


@api.add("DELETE", "/api/reference_data/sets/{name}/{value}")
def delete_set_value(req):
    return Reply(200, req.console.refsets.remove_value(req.path_params["name"], req.path_params["value"]))


# ---- lookups ------------------------------------------------------------------------------------
@api.add("POST", "/api/services/dns_lookups")
def start_dns_lookup(req):
    return Reply(201, req.console.dns.start(_required(req, "IP")))


@api.add("GET", "/api/services/dns_lookups/{id}")
def get_dns_lookup(req):
    return Reply(200, req.console.dns.get(req.path_params["id"]))


@api.add("POST", "/api/services/whois_lookups")
def start_whois_lookup(req):
    return Reply(201, req.console.whois.start(_required(req, "IP")))


@api.add("GET", "/api/services/whois_lookups/{id}")
def get_whois_lookup(req):
    return Reply(200, req.console.whois.get(req.path_params["id"]))
