<?php
/*
 * reset_password.php: ask a wiki to mail a password reset, with php-curl, the way
 * MediaWiki's API:Resetpassword PHP demo does it. Every step opens a NEW curl handle;
 * the session lives only in a Netscape cookie-jar file shared between the handles
 * (CURLOPT_COOKIEFILE reads it, CURLOPT_COOKIEJAR writes it when the handle closes).
 *
 *   1. GET  action=query&meta=tokens&type=login        (only with --lgname)
 *   2. POST action=login lgname, lgpassword, lgtoken     (only with --lgname)
 *   3. GET  action=query&meta=tokens (csrf by default)
 *   4. POST action=resetpassword email= or user=, token (token last, like the demo)
 *
 * The body of step 4 is printed on stdout; everything else goes to stderr.
 *
 * Usage: php reset_password.php [--url=URL] (--email=ADDRESS | --user=NAME)
 *            [--lgname=NAME --lgpassword=PASSWORD] [--cookie-jar=FILE]
 * Environment: MW_API_URL, MW_LGNAME, MW_LGPASSWORD.
 */

function fail( string $message ): never {
	fwrite( STDERR, "reset_password.php: $message\n" );
	exit( 1 );
}

/** One request on a fresh curl handle; returns [HTTP status, body]. */
function apiRequest( string $endPoint, string $jar, string $method, array $params ): array {
	if ( $method === 'GET' ) {
		$ch = curl_init( $endPoint . '?' . http_build_query( $params ) );
	} else {
		$ch = curl_init( $endPoint );
		curl_setopt( $ch, CURLOPT_POST, true );
		curl_setopt( $ch, CURLOPT_POSTFIELDS, http_build_query( $params ) );
	}
	curl_setopt( $ch, CURLOPT_RETURNTRANSFER, true );
	curl_setopt( $ch, CURLOPT_COOKIEJAR, $jar );
	curl_setopt( $ch, CURLOPT_COOKIEFILE, $jar );
	$body = curl_exec( $ch );
	if ( $body === false ) {
		$error = curl_error( $ch );
		fail( "$method failed: $error" );
	}
	$status = curl_getinfo( $ch, CURLINFO_RESPONSE_CODE );
	curl_close( $ch );
	// Since PHP 8 curl_close() does nothing; the jar file is written when the handle is freed.
	unset( $ch );
	return [ $status, $body ];
}

function decode( string $body, string $step ): array {
	$data = json_decode( $body, true );
	if ( !is_array( $data ) ) {
		fail( "$step: not JSON: " . substr( $body, 0, 300 ) );
	}
	return $data;
}

$opts = getopt( '', [ 'url:', 'email:', 'user:', 'lgname:', 'lgpassword:', 'cookie-jar:' ] );
$endPoint = $opts['url'] ?? getenv( 'MW_API_URL' ) ?: null;
$lgname = $opts['lgname'] ?? ( getenv( 'MW_LGNAME' ) ?: null );
$lgpassword = $opts['lgpassword'] ?? ( getenv( 'MW_LGPASSWORD' ) !== false ? getenv( 'MW_LGPASSWORD' ) : null );
if ( !$endPoint ) {
	fail( 'give --url=URL or set MW_API_URL' );
}
if ( isset( $opts['email'] ) === isset( $opts['user'] ) ) {
	fail( 'give exactly one of --email=ADDRESS or --user=NAME' );
}
if ( $lgname !== null && $lgpassword === null ) {
	fail( '--lgname needs --lgpassword (or MW_LGPASSWORD)' );
}

$ownJar = !isset( $opts['cookie-jar'] );
$jar = $ownJar ? tempnam( sys_get_temp_dir(), 'mw-cookies-' ) : $opts['cookie-jar'];

try {
	if ( $lgname !== null ) {
		// Step 1: a login token; the session cookie is stored in the jar file.
		[ , $body ] = apiRequest( $endPoint, $jar, 'GET', [
			'action' => 'query',
			'meta' => 'tokens',
			'type' => 'login',
			'format' => 'json',
		] );
		$loginToken = decode( $body, 'step 1' )['query']['tokens']['logintoken'] ?? fail( 'step 1: no logintoken' );

		// Step 2: log in (bot password "Name@app" or the main account).
		[ , $body ] = apiRequest( $endPoint, $jar, 'POST', [
			'action' => 'login',
			'lgname' => $lgname,
			'lgpassword' => $lgpassword,
			'lgtoken' => $loginToken,
			'format' => 'json',
		] );
		$login = decode( $body, 'step 2' )['login'] ?? [];
		if ( ( $login['result'] ?? null ) !== 'Success' ) {
			fail( 'login failed: ' . json_encode( $login ) );
		}
		fwrite( STDERR, "logged in as {$login['lgusername']}\n" );
	}

	// Step 3: the csrf token (the default type when none is given).
	[ , $body ] = apiRequest( $endPoint, $jar, 'GET', [
		'action' => 'query',
		'meta' => 'tokens',
		'format' => 'json',
	] );
	$csrfToken = decode( $body, 'step 3' )['query']['tokens']['csrftoken'] ?? fail( 'step 3: no csrftoken' );

	// Step 4: the reset; the token goes last, as in the demo.
	$params = [ 'action' => 'resetpassword' ];
	if ( isset( $opts['email'] ) ) {
		$params['email'] = $opts['email'];
	} else {
		$params['user'] = $opts['user'];
	}
	$params['format'] = 'json';
	$params['token'] = $csrfToken;
	[ $status, $body ] = apiRequest( $endPoint, $jar, 'POST', $params );
	echo $body, "\n";
	if ( $status !== 200 ) {
		exit( 1 );
	}
} finally {
	if ( $ownJar ) {
		@unlink( $jar );
	}
}
