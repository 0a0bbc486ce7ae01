# hasher: returns the SHA-256 of whatever is POSTed to it, after a 0.1 s pause.
# Unlike rng it serves many requests at once (thin runs each request on a thread).
require 'digest'
require 'socket'
require 'sinatra'

set :bind, '0.0.0.0'
set :port, 80
set :server, 'thin'
set :threaded, true
set :logging, false

post '/' do
  # The pause is the point of the demo: every hash costs 0.1 s.
  sleep 0.1
  content_type 'text/plain'
  Digest::SHA256.hexdigest(request.body.read)
end

get '/' do
  "hasher is running on #{Socket.gethostname}\n"
end
