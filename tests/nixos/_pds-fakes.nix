# A writable did:plc directory stand-in for the PDS VM tests (not a test
# itself; the leading `_` keeps it out of ./default.nix): the PDS registers
# each new account's DID with POST /<did> and reads it back as a DID
# document. Operations are stored as sent, unverified; the reference server
# (and tests/pds/fake-plc.js, used by `atnix smoke`) check their signatures.
{ pkgs }:
let
  plcPy = pkgs.writeText "fake-plc-rw.py" ''
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    OPS = {}

    def doc(did, op):
        return {
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": did,
            "alsoKnownAs": op.get("alsoKnownAs", []),
            "verificationMethod": [
                {"id": did + "#" + k, "type": "Multikey", "controller": did,
                 "publicKeyMultibase": v.removeprefix("did:key:")}
                for k, v in op.get("verificationMethods", {}).items()
            ],
            "service": [
                {"id": "#" + k, "type": v["type"], "serviceEndpoint": v["endpoint"]}
                for k, v in op.get("services", {}).items()
            ],
        }

    class Plc(BaseHTTPRequestHandler):
        def send(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            did = self.path.strip("/")
            op = json.loads(self.rfile.read(int(self.headers["content-length"])))
            OPS.setdefault(did, []).append(op)
            self.send(200, {})

        def do_GET(self):
            parts = self.path.split("?")[0].strip("/").split("/")
            if parts == ["_health"]:
                return self.send(200, {"version": "fake-plc-rw"})
            did = parts[0]
            if did not in OPS:
                return self.send(404, {"message": "DID not registered: " + did})
            last = OPS[did][-1]
            if len(parts) == 1:
                return self.send(200, doc(did, last))
            if parts[1:] == ["log", "last"]:
                return self.send(200, last)
            if parts[1:] == ["log"]:
                return self.send(200, OPS[did])
            if parts[1:] == ["data"]:
                return self.send(200, dict(last, did=did))
            self.send(404, {"message": "not found"})

    ThreadingHTTPServer(("127.0.0.1", 2582), Plc).serve_forever()
  '';
in
{
  plcService = {
    wantedBy = [ "multi-user.target" ];
    before = [ "pds.service" ];
    serviceConfig.ExecStart = "${pkgs.python3}/bin/python3 ${plcPy}";
  };
}
