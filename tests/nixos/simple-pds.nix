# profiles/simple-pds.nix: pdsadmin, a post and the firehose through nginx.
import ./_pds-profile.nix { profile = "simple-pds"; }
