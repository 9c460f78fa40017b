(ns clj-wasi.escape-test
  "Escape attempts against read-only and read-write preopens (issue 6): `..` chains,
  absolute paths, symlinks and hard links pointing out, renames out of the preopen,
  and the race: a host thread swaps a directory inside the preopen with a symlink to a
  directory outside (holding a secret) in a tight loop while test/wasm/escape_race.wasm
  opens, reads, stats, lists, readlinks, creates, links, renames and unlinks through it
  thousands of times. Nothing outside may be read, written, listed or stat'ed: the
  secret never shows, the outside tree (listing, contents, link counts, mtimes) stays
  as it was."
  (:require [clj-wasi.test-util :refer [delete-path nofollow temp-path]]
            [clj-wasi.wasm :as wasm]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]])
  (:import (java.nio.file CopyOption Files Path StandardCopyOption)
           (java.nio.file.attribute FileAttribute FileTime)))

(def ^:private shell (delay (wasm/module "test/wasm/fs_shell.wasm")))
(def ^:private racer (delay (wasm/module "test/wasm/escape_race.wasm")))

(defn- path ^Path [^Path base & more]
  (reduce (fn [^Path p ^String s] (.resolve p s)) base more))

(defn- mkdir! [^Path p] (Files/createDirectory p (make-array FileAttribute 0)))

(defn- symlink! [^Path link target]
  (Files/createSymbolicLink link (.getPath (.getFileSystem link) (str target) (make-array String 0))
                            (make-array FileAttribute 0)))

(def ^:private old-time (FileTime/fromMillis 978307200000)) ; 2001-01-01

(defn- spit! [^Path p ^String s]
  (spit (str p) s)
  (Files/setLastModifiedTime p old-time))

(defn- snapshot
  "Everything observable about the tree at `p` (not following symlinks): per entry its
  type, size, link count, mtime, content or link target; the directories' own mtimes."
  [^Path p]
  (with-open [s (Files/walk p (make-array java.nio.file.FileVisitOption 0))]
    (into (sorted-map)
          (for [^Path f (iterator-seq (.iterator s))]
            [(str (.relativize p f))
             (cond-> {:mtime (Files/getLastModifiedTime f nofollow)
                      :nlink (Files/getAttribute f "unix:nlink" nofollow)
                      :size (Files/getAttribute f "size" nofollow)}
               (Files/isSymbolicLink f) (assoc :link (str (Files/readSymbolicLink f)))
               (Files/isRegularFile f nofollow) (assoc :content (slurp (str f))))]))))

(defn- ino [^Path p] (Files/getAttribute p "unix:ino" nofollow))

;; ---- escapes without a race ----

(defn- static-world
  "ROOT/secret.txt (the token), ROOT/shared.txt hard-linked by the host as
  sandbox/hl (inside, so readable), ROOT/outside/o.txt, and ROOT/sandbox/ with f1, a/,
  symlinks pointing out (relative, absolute, via ..) and one pointing in."
  []
  (let [root (temp-path "clj-wasi-escape")
        token (str "TOPSECRET-" (random-uuid))
        sandbox (path root "sandbox")]
    (spit! (path root "secret.txt") token)
    (spit! (path root "shared.txt") "shared-by-host")
    (mkdir! (path root "outside"))
    (spit! (path root "outside" "o.txt") token)
    (mkdir! sandbox)
    (mkdir! (path sandbox "a"))
    (spit! (path sandbox "f1") "f1")
    (Files/createLink (path sandbox "hl") (path root "shared.txt"))
    (symlink! (path sandbox "up") "../secret.txt")
    (symlink! (path sandbox "a" "up2") "../../outside/o.txt")
    (symlink! (path sandbox "abs") (path root "secret.txt"))
    (symlink! (path sandbox "absdir") (path root "outside"))
    (symlink! (path sandbox "dotdot") "..")
    (symlink! (path sandbox "in") "a/../f1")
    {:root root :token token :sandbox sandbox}))

(defn- outside-of [{:keys [^Path root]}]
  ;; everything but the sandbox itself (hl's link count is shared.txt's)
  (dissoc (into (sorted-map) (remove (fn [[k]] (str/starts-with? k "sandbox")) (snapshot root)))
          ""))

(def ^:private static-ops
  ["open:../secret.txt" "open:a/../../secret.txt" "open:a/../a/../../outside/o.txt"
   "open:ABS" "open:up" "open:a/up2" "open:abs" "open:dotdot/secret.txt"
   "open:absdir/o.txt" "open:in" "open:hl"
   "stat:up" "stat:../secret.txt" "stat:absdir/o.txt" "stat:dotdot/outside"
   "readdir:.." "readdir:dotdot" "readdir:absdir" "readdir:a/.."
   "write:up" "write:../secret.txt" "create:../new" "create:absdir/new" "create:dotdot/new"
   "trunc:abs" "times:up" "times:../secret.txt"
   "mkdir:../newdir" "mkdir:absdir/newdir" "mkdir:dotdot/newdir"
   "link:../secret.txt:l1" "link:a/../../secret.txt:l2" "link:ABS:l3"
   "link:dotdot/secret.txt:l4" "link:absdir/o.txt:l5" "link:f1:../l6" "link:f1:absdir/l7"
   "rename:f1:../stolen" "rename:f1:absdir/stolen" "rename:../secret.txt:mine"
   "rename:dotdot/secret.txt:mine" "rename:absdir/o.txt:mine" "rename:a:../a"
   "symlink:../secret.txt:mine" "open:mine" "symlink:ABS:mine2"
   "unlink:../secret.txt" "unlink:absdir/o.txt" "rmdir:../outside" "rmdir:dotdot/outside"
   "readlink:up" "readlink:../secret.txt"])

(defn- run-static [w read-only]
  (let [abs (str (path (:root w) "secret.txt"))]
    (wasm/run @shell {:args (mapv #(str/replace % "ABS" abs) static-ops)
                      :preopens [{:guest "/sandbox" :host (str (:sandbox w)) :read-only read-only}]})))

(defn- results [res] (mapv #(str/trimr %) (str/split-lines (:out res))))

(deftest escapes-from-a-read-write-preopen
  (let [w (static-world)
        before (outside-of w)
        res (run-static w false)
        abs (str (path (:root w) "secret.txt"))]
    (is (= (mapv #(str/replace % "ABS" abs)
                 ["open:../secret.txt perm" "open:a/../../secret.txt perm"
                  "open:a/../a/../../outside/o.txt perm" "open:ABS perm" "open:up perm"
                  "open:a/up2 perm" "open:abs perm" "open:dotdot/secret.txt perm"
                  "open:absdir/o.txt perm" "open:in success f1"
                  "open:hl success shared-by-host"
                  "stat:up perm" "stat:../secret.txt perm" "stat:absdir/o.txt perm"
                  "stat:dotdot/outside perm"
                  "readdir:.. perm" "readdir:dotdot perm" "readdir:absdir perm"
                  "readdir:a/.. success .,..,a,abs,absdir,dotdot,f1,hl,in,up,"
                  "write:up perm" "write:../secret.txt perm" "create:../new perm"
                  "create:absdir/new perm" "create:dotdot/new perm" "trunc:abs perm"
                  "times:up perm" "times:../secret.txt perm"
                  "mkdir:../newdir perm" "mkdir:absdir/newdir perm" "mkdir:dotdot/newdir perm"
                  "link:../secret.txt:l1 perm" "link:a/../../secret.txt:l2 perm" "link:ABS:l3 perm"
                  "link:dotdot/secret.txt:l4 perm" "link:absdir/o.txt:l5 perm"
                  "link:f1:../l6 perm" "link:f1:absdir/l7 perm"
                  "rename:f1:../stolen perm" "rename:f1:absdir/stolen perm"
                  "rename:../secret.txt:mine perm" "rename:dotdot/secret.txt:mine perm"
                  "rename:absdir/o.txt:mine perm" "rename:a:../a perm"
                  "symlink:../secret.txt:mine success" "open:mine perm" "symlink:ABS:mine2 perm"
                  "unlink:../secret.txt perm" "unlink:absdir/o.txt perm"
                  "rmdir:../outside perm" "rmdir:dotdot/outside perm"
                  "readlink:up success ../secret.txt" "readlink:../secret.txt perm"])
           (results res)))
    (is (not (str/includes? (:out res) (:token w))))
    (is (= before (outside-of w)) "nothing outside changed")
    (delete-path (:root w))))

(deftest escapes-from-a-read-only-preopen
  (let [w (static-world)
        before (outside-of w)
        inside (snapshot (:sandbox w))
        res (run-static w true)
        abs (str (path (:root w) "secret.txt"))]
    (is (= (mapv #(str/replace % "ABS" abs)
                 ["open:../secret.txt perm" "open:a/../../secret.txt perm"
                  "open:a/../a/../../outside/o.txt perm" "open:ABS perm" "open:up perm"
                  "open:a/up2 perm" "open:abs perm" "open:dotdot/secret.txt perm"
                  "open:absdir/o.txt perm" "open:in success f1"
                  "open:hl success shared-by-host"
                  "stat:up perm" "stat:../secret.txt perm" "stat:absdir/o.txt perm"
                  "stat:dotdot/outside perm"
                  "readdir:.. perm" "readdir:dotdot perm" "readdir:absdir perm"
                  "readdir:a/.. success .,..,a,abs,absdir,dotdot,f1,hl,in,up,"
                  "write:up rofs" "write:../secret.txt rofs" "create:../new rofs"
                  "create:absdir/new rofs" "create:dotdot/new rofs" "trunc:abs rofs"
                  "times:up rofs" "times:../secret.txt rofs"
                  "mkdir:../newdir rofs" "mkdir:absdir/newdir rofs" "mkdir:dotdot/newdir rofs"
                  "link:../secret.txt:l1 rofs" "link:a/../../secret.txt:l2 rofs" "link:ABS:l3 rofs"
                  "link:dotdot/secret.txt:l4 rofs" "link:absdir/o.txt:l5 rofs"
                  "link:f1:../l6 rofs" "link:f1:absdir/l7 rofs"
                  "rename:f1:../stolen rofs" "rename:f1:absdir/stolen rofs"
                  "rename:../secret.txt:mine rofs" "rename:dotdot/secret.txt:mine rofs"
                  "rename:absdir/o.txt:mine rofs" "rename:a:../a rofs"
                  "symlink:../secret.txt:mine rofs" "open:mine noent" "symlink:ABS:mine2 rofs"
                  "unlink:../secret.txt rofs" "unlink:absdir/o.txt rofs"
                  "rmdir:../outside rofs" "rmdir:dotdot/outside rofs"
                  "readlink:up success ../secret.txt" "readlink:../secret.txt perm"])
           (results res)))
    (is (not (str/includes? (:out res) (:token w))))
    (is (= before (outside-of w)) "nothing outside changed")
    (is (= inside (snapshot (:sandbox w))) "nothing inside changed either")
    (delete-path (:root w))))

;; ---- the race ----

(def ^:private race-ms 2500)

(defn- race-world []
  (let [root (temp-path "clj-wasi-race")
        token (str "TOPSECRET-" (random-uuid))
        sandbox (path root "sandbox")
        outside (path root "outside")]
    (mkdir! sandbox)
    (mkdir! (path sandbox "sw"))
    (spit! (path sandbox "f1") "f1")
    (spit! (path sandbox "sw" "secret.txt") "inside")
    (spit! (path sandbox "sw" "victim.txt") "victim")
    (symlink! (path sandbox "sw" "lnk") "inside-target")
    (mkdir! outside)
    (spit! (path outside "secret.txt") token)
    (spit! (path outside "victim.txt") token)
    (spit! (path outside "outside-only.txt") token)
    (symlink! (path outside "lnk") (str "OUTSIDE-" token))
    (mkdir! (path outside "newdir-blocker-free"))
    (Files/setLastModifiedTime (path outside "newdir-blocker-free") old-time)
    (Files/setLastModifiedTime outside old-time)
    {:root root :token token :sandbox sandbox :outside outside}))

(def ^:private atomic (into-array CopyOption [StandardCopyOption/ATOMIC_MOVE]))

(defn- swap-loop
  "Until `ms` have passed: sw -> .aside, the symlink .link (to outside) -> sw, back,
  .aside -> sw (a symlink cannot be renamed over a directory, so the directory steps
  aside for the swap). Returns [swaps failed-swaps]; leaves sw the directory."
  [^Path sandbox ^Path outside ms]
  (let [sw (path sandbox "sw") aside (path sandbox ".aside") link (path sandbox ".link")
        deadline (+ (System/nanoTime) (* ms 1000000))
        restore (fn []
                  (when (Files/isSymbolicLink sw) (Files/move sw link atomic))
                  (when (Files/exists aside nofollow) (Files/move aside sw atomic)))]
    (symlink! link outside)
    (try
      (loop [n 0 failed 0]
        (if (< (System/nanoTime) deadline)
          (if (try (Files/move sw aside atomic)
                   (Files/move link sw atomic)
                   (Files/move sw link atomic)
                   (Files/move aside sw atomic)
                   ;; let the directory be itself for a moment (~20 µs) too
                   (let [t (+ (System/nanoTime) 20000)]
                     (while (< (System/nanoTime) t)))
                   true
                   (catch java.io.IOException _ ; only the old, escaping resolver got here
                     (try (restore) (catch java.io.IOException _))
                     false))
            (recur (inc n) failed)
            (recur n (inc failed)))
          [n failed]))
      (finally
        (restore)
        (Files/deleteIfExists link)))))

(defn- race [read-only]
  (let [{:keys [^Path root ^Path sandbox ^Path outside token]} (race-world)
        before (snapshot outside)
        root-before (Files/getLastModifiedTime root nofollow)
        args [(if read-only "ro" "rw") (str (ino (path sandbox "sw" "secret.txt")))
              (str (ino (path sandbox "sw")))]
        run (future (wasm/run @racer {:args args
                                       :preopens [{:guest "/sandbox" :host (str sandbox)
                                                   :read-only read-only}]
                                       :timeout-ms 30000}))
        [swaps failed] (swap-loop sandbox outside race-ms)
        _ (spit (str (path sandbox "stop")) "")
        res (deref run 30000 {:exit :hung :out "" :err ""})
        lines (str/split-lines (:out res))
        summary (last lines)
        leaks (filter #(str/starts-with? % "LEAK") lines)]
    (println (str "escape race (" (if read-only "read-only" "read-write") "): " swaps
                  " swaps (" failed " failed); guest " summary "; " (count leaks) " LEAK lines shown"))
    (doseq [l (take 5 leaks)] (println "  " l))
    (testing (if read-only "read-only preopen" "read-write preopen")
      (is (= 0 (:exit res)) (:err res))
      (is (re-matches #"attempts \d+ ok \d+ leaks 0" (str summary)) summary)
      (is (not (str/includes? (:out res) token)) "the secret never shows")
      (is (empty? leaks))
      (is (= 0 failed) "the swapper never found its directory moved")
      (is (= before (snapshot outside)) "outside: same entries, contents, link counts, mtimes")
      (is (= #{"sandbox" "outside"}
             (with-open [s (Files/list root)]
               (set (map #(str (.getFileName ^Path %)) (iterator-seq (.iterator s))))))
          "nothing created beside the preopen")
      (is (= "inside" (slurp (str (path sandbox "sw" "secret.txt"))))))
    (delete-path root)
    root-before))

(deftest swapped-directory-race-read-write
  (race false))

(deftest swapped-directory-race-read-only
  (race true))
