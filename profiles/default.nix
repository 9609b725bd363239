# Profiles: plain NixOS configuration (mostly lib.mkDefault values) combining
# our modules for a whole deployment, by name -> path. None yet.
{
}
