// action=rsd: the Really Simple Discovery description that the help page's EditURI link points to.
// Always XML (application/rsd+xml), whatever format= says, as MediaWiki answers it.
import { recXmlPrint } from '../formats/xml.js';
import { defineModule } from '../module.js';
import { pageUrl } from '../../site/urls.js';
import { content, meta, toTree, transform, type ResultArray } from '../result.js';

const RSD_NAMESPACE = 'http://archipelago.phrasewise.com/rsd';

export const rsdModule = defineModule({
  name: 'rsd',
  summary: 'The API\'s description for Really Simple Discovery (RSD).',
  readMode: false,
  params: {},
  async execute(ctx) {
    const data = {
      version: '1.0',
      xmlns: RSD_NAMESPACE,
      service: meta(
        {
          apis: {
            // "MediaWiki" names the kind of API (what clients look for), not the software behind it.
            api: {
              name: 'MediaWiki',
              preferred: 'true',
              apiLink: ctx.apiUrl,
              blogID: '',
              settings: meta(
                { docs: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API', setting: content({ name: 'OAuth', value: 'false' }, 'value') },
                { subelements: ['docs'] },
              ),
            },
          },
          engineName: 'mwauth',
          engineLink: `${ctx.apiUrl}?action=help`,
          homePageLink: pageUrl(ctx.services.config, 'Main_Page'),
        },
        { subelements: ['engineName', 'engineLink', 'homePageLink'] },
      ),
    };
    const tree = transform(toTree(data) as ResultArray, { bc: ['nobool', 'no*', 'nosub'], types: { armorKvp: '_name' } });
    return {
      raw: {
        status: 200,
        headers: {
          'content-type': 'application/rsd+xml; charset=utf-8',
          'content-disposition': 'inline; filename=api-result.xml',
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'DENY',
          'cache-control': 'private, must-revalidate, max-age=0',
        },
        body: '<?xml version="1.0"?>' + recXmlPrint('rsd', tree, null),
      },
    };
  },
});
