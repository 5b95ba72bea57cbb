<?php
// Part of the mwauth test suite (test/import/mediawiki-fixture.ts): gives accounts of a freshly installed
// MediaWiki the state a real wiki has — groups with an expiry, bot passwords with restrictions, blocks of
// accounts, addresses and ranges, unconfirmed addresses, preferences, a pending temporary password, a real
// name — through MediaWiki's own services, where no maintenance script offers the option.
// Run by MediaWiki's runScript.php; reads the plan as JSON from the file given by --plan and prints a JSON
// object: { "temporaryPasswords": { "<name>": "<password>" } }.

use MediaWiki\Auth\AuthManager;
use MediaWiki\Auth\TemporaryPasswordAuthenticationRequest;
use MediaWiki\Block\Restriction\NamespaceRestriction;
use MediaWiki\MediaWikiServices;

$IP = getenv( 'MW_INSTALL_PATH' ) ?: '/usr/share/mediawiki';
require_once "$IP/maintenance/Maintenance.php";

class MwauthImportFixture extends Maintenance {
	public function __construct() {
		parent::__construct();
		$this->addOption( 'plan', 'JSON file with what to do', true, true );
	}

	private function user( string $name ): User {
		$user = MediaWikiServices::getInstance()->getUserFactory()->newFromName( $name );
		if ( !$user || !$user->isRegistered() ) {
			$this->fatalError( "no such user: $name" );
		}
		return $user;
	}

	public function execute() {
		$plan = json_decode( file_get_contents( $this->getOption( 'plan' ) ), true );
		$services = MediaWikiServices::getInstance();
		$out = [ 'temporaryPasswords' => [] ];

		foreach ( $plan['createWithoutPassword'] ?? [] as $name ) {
			// What createAndPromote.php does before it sets a password: the account is stored with ":null:".
			$user = $services->getUserFactory()->newFromName( $name );
			$status = $services->getAuthManager()->autoCreateUser( $user, AuthManager::AUTOCREATE_SOURCE_MAINT, false );
			if ( !$status->isGood() ) {
				$this->fatalError( "could not create $name: " . $status->getMessage( false, false, 'en' )->text() );
			}
		}

		if ( $plan['nullPrefix'] ?? [] ) {
			// deleteLocalPasswords.php --prefix: ":null:" before the hash. Its --user option passes the name
			// nested one array too deep in 1.39, so its own batch step is called here with the names.
			$prefixer = new class extends DeleteLocalPasswords {
				public function prefix( array $names ): void {
					$this->setOption( 'prefix', true );
					$this->processUsers( $names, $this->getUserDB() );
				}
			};
			$prefixer->prefix( $plan['nullPrefix'] );
		}

		foreach ( $plan['groups'] ?? [] as $g ) {
			$ok = $services->getUserGroupManager()->addUserToGroup( $this->user( $g['user'] ), $g['group'], $g['expiry'] ?? null );
			if ( !$ok ) {
				$this->fatalError( "could not add {$g['user']} to {$g['group']}" );
			}
		}

		foreach ( $plan['unconfirmedEmails'] ?? [] as $e ) {
			$user = $this->user( $e['user'] );
			$user->setEmail( $e['email'] );
			$user->saveSettings();
		}

		foreach ( $plan['realNames'] ?? [] as $r ) {
			$user = $this->user( $r['user'] );
			$user->setRealName( $r['realName'] );
			$user->saveSettings();
		}

		$options = $services->getUserOptionsManager();
		foreach ( $plan['options'] ?? [] as $o ) {
			$user = $this->user( $o['user'] );
			foreach ( $o['set'] as $key => $value ) {
				$options->setOption( $user, $key, $value );
			}
			$options->saveOptions( $user );
		}

		foreach ( $plan['botPasswords'] ?? [] as $b ) {
			$bp = BotPassword::newUnsaved( [
				'username' => $b['user'],
				'appId' => $b['appId'],
				'grants' => $b['grants'],
				'restrictions' => MWRestrictions::newFromArray( $b['restrictions'] ),
			] );
			$password = $services->getPasswordFactory()->newFromPlaintext( $b['password'] );
			$status = $bp->save( 'insert', $password );
			if ( !$status->isGood() ) {
				$this->fatalError( "bot password {$b['user']}@{$b['appId']}: " . $status->getMessage( false, false, 'en' )->text() );
			}
		}

		$blocks = $services->getBlockUserFactory();
		foreach ( $plan['blocks'] ?? [] as $b ) {
			$restrictions = [];
			if ( !( $b['sitewide'] ?? true ) ) {
				$restrictions[] = new NamespaceRestriction( 0, NS_USER_TALK );
			}
			$status = $blocks->newBlockUser(
				$b['target'],
				$this->user( $b['performer'] ),
				$b['expiry'],
				$b['reason'],
				[
					'isCreateAccountBlocked' => $b['createAccount'],
					'isEmailBlocked' => $b['email'],
					'isHardBlock' => $b['hardBlock'] ?? true,
					'isAutoblocking' => false,
					'isPartial' => !( $b['sitewide'] ?? true ),
				],
				$restrictions
			)->placeBlockUnsafe();
			if ( !$status->isOK() ) {
				$this->fatalError( "block {$b['target']}: " . $status->getMessage( false, false, 'en' )->text() );
			}
		}

		foreach ( $plan['temporaryPasswords'] ?? [] as $name ) {
			// What Special:PasswordReset does for each account it mails, without the mail.
			$req = TemporaryPasswordAuthenticationRequest::newRandom();
			$req->username = $this->user( $name )->getName();
			$req->mailpassword = false;
			$services->getAuthManager()->changeAuthenticationData( $req );
			$out['temporaryPasswords'][$name] = $req->password;
		}

		$this->output( json_encode( $out ) . "\n" );
	}
}

$maintClass = MwauthImportFixture::class;
require_once RUN_MAINTENANCE_IF_MAIN;
