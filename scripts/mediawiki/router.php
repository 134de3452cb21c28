<?php
/**
 * Router for `php -S` (see start.sh): `/wiki/<Title>` pretty URLs go to index.php, as
 * `$wgArticlePath = '/wiki/$1'` promises; everything else (api.php, index.php, static files) is
 * served from the document root as usual.
 */
$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';
if ($path === '/' || str_starts_with($path, '/wiki/')) {
    $_SERVER['SCRIPT_NAME'] = '/index.php';
    $_SERVER['SCRIPT_FILENAME'] = $_SERVER['DOCUMENT_ROOT'] . '/index.php';
    chdir($_SERVER['DOCUMENT_ROOT']);
    require $_SERVER['DOCUMENT_ROOT'] . '/index.php';
    return true;
}
return false;
