#!/usr/bin/perl
# A script written with MediaWiki::API 0.52 (Debian libmediawiki-api-perl), the way its users write one.
# MediaWiki::API POSTs every request, action=query included.
#
# Run: perl mediawiki_api.pl '<json>'
#
#   {"mode":"reset", "apiUrl", "username", "password", "user"|"email", "tokenVia":"edit"|"api"}
#       $mw->login({lgname, lgpassword}) (it fetches the login token itself), then resetpassword:
#       tokenVia "edit": $mw->edit({action => 'resetpassword', ...}), which fetches and adds a csrf token;
#       tokenVia "api":  a csrf token from $mw->api(meta=tokens), then $mw->api({action => 'resetpassword', ..., token}).
#   {"mode":"clientlogin", "apiUrl", "username", "tempPassword", "newPassword", "returnUrl"}
#       action=clientlogin through $mw->api() with the temporary password, the forced change, then
#       $mw->login() on a new object with the new password.
#
# Prints its findings as `RESULT {json}`.
use strict;
use warnings;
use JSON;
use MediaWiki::API;

my $args = decode_json($ARGV[0]);
my %out;
my $json = JSON->new->canonical(1);

sub new_mw {
  my $mw = MediaWiki::API->new({ api_url => $args->{apiUrl} });
  return $mw;
}

sub fail_with {
  my ($mw, $step) = @_;
  $out{error} = { step => $step, code => $mw->{error}->{code}, details => $mw->{error}->{details} };
  print 'RESULT ' . $json->encode(\%out) . "\n";
  exit 1;
}

if ($args->{mode} eq 'reset') {
  my $mw = new_mw();
  my $login = $mw->login({ lgname => $args->{username}, lgpassword => $args->{password} })
    or fail_with($mw, 'login');
  $out{login} = $login;
  my $info = $mw->api({ action => 'query', meta => 'userinfo' }) or fail_with($mw, 'userinfo');
  $out{userinfo} = $info->{query}->{userinfo};

  my %target = defined $args->{user} ? (user => $args->{user}) : (email => $args->{email});
  my $reply;
  if ($args->{tokenVia} eq 'edit') {
    $reply = $mw->edit({ action => 'resetpassword', %target }) or fail_with($mw, 'resetpassword');
  } else {
    my $tokens = $mw->api({ action => 'query', meta => 'tokens', type => 'csrf' }) or fail_with($mw, 'tokens');
    my $token = $tokens->{query}->{tokens}->{csrftoken};
    $out{csrfToken} = $token;
    $reply = $mw->api({ action => 'resetpassword', %target, token => $token }) or fail_with($mw, 'resetpassword');
  }
  $out{reset} = $reply;
  $out{lastMethod} = $mw->{response}->request->method;
} elsif ($args->{mode} eq 'clientlogin') {
  my $mw = new_mw();
  my $tokens = $mw->api({ action => 'query', meta => 'tokens', type => 'login' }) or fail_with($mw, 'logintoken');
  my $logintoken = $tokens->{query}->{tokens}->{logintoken};
  $out{ui} = $mw->api({
    action => 'clientlogin', username => $args->{username}, password => $args->{tempPassword},
    loginreturnurl => $args->{returnUrl}, logintoken => $logintoken,
  }) or fail_with($mw, 'clientlogin');
  $out{change} = $mw->api({
    action => 'clientlogin', logincontinue => 1, password => $args->{newPassword},
    retype => $args->{newPassword}, logintoken => $logintoken,
  }) or fail_with($mw, 'clientlogin-continue');
  my $info = $mw->api({ action => 'query', meta => 'userinfo' }) or fail_with($mw, 'userinfo');
  $out{userinfoAfterChange} = $info->{query}->{userinfo};

  my $again = new_mw();
  $out{relogin} = $again->login({ lgname => $args->{username}, lgpassword => $args->{newPassword} })
    or fail_with($again, 'relogin');
} else {
  die "unknown mode $args->{mode}\n";
}

print 'RESULT ' . $json->encode(\%out) . "\n";
exit 0;
