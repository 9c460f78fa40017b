(ns clj-wasi.sandbox-test
  "The filesystem sandbox: whatever a guest does beneath a preopen, it cannot read,
  change, link or create anything outside it. test/wasm/fs_shell.wasm performs the
  operations given as arguments (open, stat, readlink, link, rename, symlink, readdir,
  create, write, unlink, ...) beneath /sandbox and prints each result; a test.check
  property runs random sequences of them in random trees full of symlinks (relative,
  escaping, absolute, dangling, looping) next to a secret file."
  (:require [clj-wasi.test-util :refer [assert-checks delete-path nofollow temp-path]]
            [clj-wasi.wasm :as wasm]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (java.nio.file Files LinkOption Path)
           (java.nio.file.attribute FileAttribute FileTime)))

(def ^:private shell (delay (wasm/module "test/wasm/fs_shell.wasm")))

(defn- path ^Path [^Path base & more]
  (reduce (fn [^Path p ^String s] (.resolve p s)) base more))

(defn- symlink! [^Path link ^String target]
  (Files/createSymbolicLink link (.getPath (.getFileSystem link) target (make-array String 0))
                            (make-array FileAttribute 0)))

(def ^:private secret-mtime (FileTime/fromMillis 978307200000)) ; 2001-01-01

(defn- world
  "ROOT/secret.txt (a random token), ROOT/outside/ (empty), ROOT/sandbox/ with
  a/, a/b/, c/ and the files f1, a/f2, c/f3."
  []
  (let [root (temp-path "clj-wasi-sandbox")
        token (str "TOPSECRET-" (random-uuid))
        secret (path root "secret.txt")
        sandbox (path root "sandbox")]
    (spit (str secret) token)
    (Files/setLastModifiedTime secret secret-mtime)
    (Files/createDirectory (path root "outside") (make-array FileAttribute 0))
    (doseq [d ["sandbox" "sandbox/a" "sandbox/a/b" "sandbox/c"]]
      (Files/createDirectory (path root d) (make-array FileAttribute 0)))
    (doseq [f ["f1" "a/f2" "c/f3"]]
      (spit (str (path sandbox f)) f))
    {:root root :token token :secret secret :sandbox sandbox}))

(defn- run-shell [{:keys [^Path sandbox]} ops]
  (wasm/run @shell {:args (vec ops) :preopens {"/sandbox" (str sandbox)}}))

(defn- intact?
  "The secret unchanged (content, one link, mtime), nothing new beside the sandbox,
  and the token in no output."
  [{:keys [^Path root token ^Path secret]} {:keys [out err]}]
  (and (not (str/includes? out token))
       (not (str/includes? err token))
       (= token (slurp (str secret)))
       (= 1 (Files/getAttribute secret "unix:nlink" nofollow))
       (= secret-mtime (Files/getLastModifiedTime secret nofollow))
       (= #{"secret.txt" "outside" "sandbox"}
          (with-open [s (Files/list root)]
            (set (map #(str (.getFileName ^Path %)) (iterator-seq (.iterator s))))))
       (with-open [s (Files/list (path root "outside"))]
         (not (.hasNext (.iterator s))))))

(deftest every-door-is-shut
  (let [{:keys [^Path root ^Path sandbox] :as w} (world)
        abs (str (path root "secret.txt"))]
    (symlink! (path sandbox "up") "../secret.txt")
    (symlink! (path sandbox "a" "up2") "../../secret.txt")
    (symlink! (path sandbox "abs") abs)
    (symlink! (path sandbox "dotdot") "..")
    (symlink! (path sandbox "a" "b" "deep") "../../../outside")
    (let [ops ["open:../secret.txt" "open:a/../../secret.txt" (str "open:" abs)
               "open:up" "opennf:up" "open:a/up2" "open:abs" "open:dotdot/secret.txt"
               "stat:up" "lstat:up" "write:up" "create:up" "trunc:abs" "times:up"
               "link:up:hard" "link:../secret.txt:hard2" "rename:../secret.txt:stolen"
               "rename:f1:../outside/f1" "create:a/b/deep/new" "mkdir:dotdot/new"
               "symlink:../secret.txt:mine" "open:mine" "readdir:dotdot" "readdir:.."
               "readlink:up" "unlink:../secret.txt" "rmdir:../outside"]
          res (run-shell w ops)]
      (is (= ["open:../secret.txt perm "
              "open:a/../../secret.txt perm "
              (str "open:" abs " perm ")
              "open:up perm "
              "opennf:up loop "
              "open:a/up2 perm "
              "open:abs perm "
              "open:dotdot/secret.txt perm "
              "stat:up perm"
              "lstat:up success type=7 size=13 nlink=1"
              "write:up perm"
              "create:up perm"
              "trunc:abs perm"
              "times:up perm"
              "link:up:hard success"
              "link:../secret.txt:hard2 perm"
              "rename:../secret.txt:stolen perm"
              "rename:f1:../outside/f1 perm"
              "create:a/b/deep/new perm"
              "mkdir:dotdot/new perm"
              "symlink:../secret.txt:mine success"
              "open:mine perm "
              "readdir:dotdot perm "
              "readdir:.. perm "
              "readlink:up success ../secret.txt"
              "unlink:../secret.txt perm"
              "rmdir:../outside perm"]
             (str/split-lines (:out res))))
      (is (intact? w res)))
    (delete-path root)))

(deftest a-symlinked-preopen-root-works
  ;; the preopen's own host path may be a symlink (e.g. /tmp on macOS); only what is
  ;; beneath it is resolved by the sandbox
  (let [{:keys [^Path root ^Path sandbox] :as w} (world)
        alias (path root "alias")]
    (symlink! alias "sandbox")
    (let [res (wasm/run @shell {:args ["open:f1" "create:new" "readdir:." "open:../secret.txt"]
                                :preopens {"/sandbox" (str alias)}})]
      (is (= ["open:f1 success f1" "create:new success" "readdir:. success .,..,a,c,f1,new,"
              "open:../secret.txt perm "]
             (str/split-lines (:out res))))
      (is (= "data" (slurp (str (path sandbox "new"))))))
    (Files/delete alias)
    (is (intact? w {:out "" :err ""}))
    (delete-path root)))

;; ---- the property ----

(def ^:private dirs ["" "" "a/" "a/b/" "c/"])

(def ^:private link-names ["s1" "s2" "s3" "s4"])

(defn- link-targets [^Path root]
  ["f1" "../f1" "../../f1" "a" "a/b" "b" ".." "." "nothere" "s1" "../s2" "a/s3"
   "../secret.txt" "../../secret.txt" "../../../secret.txt" "../../../../secret.txt"
   "b/../../../secret.txt" "c/../../secret.txt" "../sandbox/f1" "../../sandbox/f1"
   "../outside" "../../outside/x" "/secret.txt" "/"
   (str (path root "secret.txt")) (str (path root "sandbox" "f1")) (str (path root "outside"))
   :self])

(def ^:private components
  ["a" "b" "c" "f1" "f1" "f2" "f3" "s1" "s1" "s2" "s3" "s4" ".." "." "secret.txt" "sandbox"
   "outside" "nothere" "x" "y"])

(def ^:private prefixes
  ["" "" "" "a/" "a/b/" "c/" "s1/" "s2/" "a/s3/" "../" "a/../" "./" "a/b/../../"])

(defn- gen-path
  "Mostly a prefix and one name (often an existing entry), sometimes up to four random
  components, rarely an absolute path; now and then with a trailing slash."
  [^Path root]
  (gen/let [p (gen/frequency
               [[10 (gen/let [pre (gen/elements prefixes) nm (gen/elements components)]
                      (str pre nm))]
                [3 (gen/fmap #(str/join "/" %) (gen/vector (gen/elements components) 1 4))]
                [1 (gen/elements ["/secret.txt" "/" (str (path root "secret.txt"))
                                  (str (path root "sandbox" "f1"))])]])
            slash (gen/frequency [[8 (gen/return "")] [1 (gen/return "/")]])]
    (str p slash)))

(def ^:private unary-ops
  ["open" "opennf" "write" "create" "trunc" "stat" "lstat" "times" "readlink" "readdir"
   "mkdir" "rmdir" "unlink"])

(defn- gen-op [^Path root]
  (gen/one-of
   [(gen/let [o (gen/elements unary-ops) p (gen-path root)] (str o ":" p))
    (gen/let [o (gen/elements ["link" "rename"]) a (gen-path root) b (gen-path root)]
      (str o ":" a ":" b))
    (gen/let [t (gen/elements (remove keyword? (link-targets root))) b (gen-path root)]
      (str "symlink:" t ":" b))]))

(defn- gen-case
  "A tree (symlinks placed in the skeleton) and a sequence of operations. Generated
  against a placeholder root; `materialize` substitutes the trial's real root."
  [^Path root]
  (gen/tuple (gen/vector (gen/tuple (gen/elements dirs) (gen/elements link-names)
                                    (gen/elements (link-targets root)))
                         0 10)
             (gen/vector (gen-op root) 1 25)))

(def ^:private placeholder (.toPath (java.io.File. "/ROOT-PLACEHOLDER")))

(defn- materialize ^String [s ^Path root]
  (str/replace s (str placeholder) (str root)))

(defn- trial [[links ops]]
  (let [{:keys [^Path root ^Path sandbox] :as w} (world)]
    (try
      (doseq [[dir nm target] (distinct links)
              :let [link (.resolve sandbox (str dir nm))]
              :when (not (Files/exists link nofollow))]
        (symlink! link (if (= :self target) nm (materialize target root))))
      (let [res (run-shell w (map #(materialize % root) ops))]
        (and (= 0 (:exit res))
             (= (count ops) (count (str/split-lines (:out res))))
             (intact? w res)))
      (finally
        (delete-path root)))))

(defspec nothing-leaks-out-of-the-sandbox 1000
  (prop/for-all [c (gen-case placeholder)]
    (trial c)))
