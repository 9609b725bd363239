// Preloaded with `node --require` (NODE_OPTIONS) for Node servers that call
// listen(port) without a host and have no bind-address setting (the
// did-method-plc server): binds them to ATNIX_NODE_LISTEN_ADDRESS instead of
// every interface. A listen() that names its host is left alone.
'use strict'
const net = require('node:net')
const host = process.env.ATNIX_NODE_LISTEN_ADDRESS
if (host) {
  const listen = net.Server.prototype.listen
  net.Server.prototype.listen = function (...args) {
    if (typeof args[0] === 'number' && typeof args[1] !== 'string') args.splice(1, 0, host)
    return listen.apply(this, args)
  }
}
