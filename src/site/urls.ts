// Every URL of the site, built in one place from MWAUTH_SERVER, MWAUTH_SCRIPT_PATH and MWAUTH_ARTICLE_PATH:
// links in mail, the API's own address (docref, the help page's EditURI, action=rsd), meta=siteinfo's
// paths and the links of the pages. A path of "/" puts the site at the root of its host: pages are
// "/Special:UserLogin" and the API "/api.php", never "//…" (a browser reads "//api.php" as the host "api.php").

/** What script URLs are made of (the configuration, or the site settings a server recorded). */
export interface ScriptSite {
  /** scheme://host[:port], without a trailing slash. */
  server: string;
  scriptPath: string;
}

/** What page URLs are made of. */
export interface ArticleSite {
  server: string;
  articlePath: string;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function base(path: string): string {
  return path.replace(/\/+$/, '');
}

/** MediaWiki's $wgScriptPath: "/w", or "" for a site at the root of its host. */
export function scriptBase(site: Pick<ScriptSite, 'scriptPath'>): string {
  return base(site.scriptPath);
}

/** "/w/api.php" (or "/api.php" at the root): the path the API is served at. */
export function apiPath(site: Pick<ScriptSite, 'scriptPath'>): string {
  return `${scriptBase(site)}/api.php`;
}

/** "/w/index.php": the path of index.php?title=… */
export function indexPath(site: Pick<ScriptSite, 'scriptPath'>): string {
  return `${scriptBase(site)}/index.php`;
}

/** The API's absolute URL, as the docref, the help page's EditURI and action=rsd give it. */
export function apiUrl(site: ScriptSite): string {
  return site.server + apiPath(site);
}

/** Where pages live: "/wiki", or "" for pages at the root of the host. */
export function articleBase(site: Pick<ArticleSite, 'articlePath'>): string {
  return base(site.articlePath);
}

/** MediaWiki's $wgArticlePath: "/wiki/$1" (or "/$1"). */
export function articlePathPattern(site: Pick<ArticleSite, 'articlePath'>): string {
  return `${articleBase(site)}/$1`;
}

/**
 * A page's path under the article path, with its query: "/wiki/Special:UserLogin?returnto=Main_Page".
 * The title is percent-encoded as a path segment ("?" and "#" included, so they stay part of it).
 */
export function pagePath(site: Pick<ArticleSite, 'articlePath'>, title: string, query: Record<string, string> = {}): string {
  const qs = new URLSearchParams(query).toString();
  // A lone surrogate cannot be percent-encoded: it becomes U+FFFD, as URLSearchParams does with values.
  const segment = encodeURI(title.replace(LONE_SURROGATE, '\ufffd')).replace(/\?/g, '%3F').replace(/#/g, '%23');
  return `${articleBase(site)}/${segment}${qs ? `?${qs}` : ''}`;
}

/** A page's absolute URL: the only kind of link mail carries. */
export function pageUrl(site: ArticleSite, title: string, query: Record<string, string> = {}): string {
  return site.server + pagePath(site, title, query);
}
