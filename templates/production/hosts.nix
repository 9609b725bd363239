# The deployment's hosts: name (networking.hostName) -> address on the
# private network, roles (profiles/production) and where colmena reaches the
# host. Five hosts: the monitoring role shares the load balancer's host.
{
  db = {
    address = "10.0.0.11";
    roles = [ "database" ];
    targetHost = "db.example.com";
  };
  s3 = {
    address = "10.0.0.12";
    roles = [ "objectstore" ];
    targetHost = "s3.example.com";
  };
  app1 = {
    address = "10.0.0.21";
    roles = [ "app" ];
    targetHost = "app1.example.com";
  };
  app2 = {
    address = "10.0.0.22";
    roles = [ "app" ];
    targetHost = "app2.example.com";
  };
  lb = {
    address = "10.0.0.31";
    roles = [
      "loadbalancer"
      "monitoring"
    ];
    targetHost = "relay.example.com";
  };
}
