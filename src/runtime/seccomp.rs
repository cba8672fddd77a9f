//! Seccomp for containers: Docker-format profiles (Docker's default, and the JSON files that
//! `--security-opt seccomp=FILE` takes), compiled to BPF with `seccompiler`.
//!
//! Each step is a plain function whose output the tests inspect:
//! 1. [`Profile::from_json`] parses and validates the JSON (actions, operators, kernel versions).
//! 2. `Profile::policy` keeps the entries that apply to one container (its capabilities, this
//!    architecture, the kernel) and resolves syscall names to this architecture's numbers.
//! 3. `plan_filters` spreads those rules over as few stacked seccomp filters as their actions need.
//! 4. `FilterPlan::to_bpf` has seccompiler generate each filter's BPF.
//!
//! Only the native ABI is filtered. Syscalls made through another ABI (i386 `int 0x80`, x32 on
//! x86_64, arm32 compat on aarch64) kill the process, where Docker would filter them too: 32-bit
//! programs do not run under these filters.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::io;
use std::path::Path;

use anyhow::{anyhow, bail, ensure, Context, Result};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use serde::Deserialize;

/// Docker's default seccomp profile, unchanged (moby/profiles, Apache-2.0: seccomp_default.LICENSE).
pub const DOCKER_DEFAULT_JSON: &str = include_str!("seccomp_default.json");

/// The errno of SCMP_ACT_ERRNO and the data of SCMP_ACT_TRACE when a profile names none (runc's
/// choice, which Docker users rely on).
const DEFAULT_ERRNO: u16 = libc::EPERM as u16;

#[cfg(target_arch = "x86_64")]
const TARGET_ARCH: TargetArch = TargetArch::x86_64;
#[cfg(target_arch = "aarch64")]
const TARGET_ARCH: TargetArch = TargetArch::aarch64;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("skiff's seccomp support covers x86_64 and aarch64 only");

/// How profiles name the architecture we filter. Docker matches `includes.arches` and
/// `excludes.arches` against Go's name for it ("amd64"); the libseccomp and uname spellings are
/// accepted too. Sub-architectures from `archMap` deliberately do not count: an entry for "x86"
/// alone is about i386 syscall numbers, which must not be applied to native ones.
#[cfg(target_arch = "x86_64")]
const NATIVE_ARCH_NAMES: &[&str] = &["amd64", "x86_64", "SCMP_ARCH_X86_64"];
#[cfg(target_arch = "aarch64")]
const NATIVE_ARCH_NAMES: &[&str] = &["arm64", "aarch64", "SCMP_ARCH_AARCH64"];

/// A parsed Docker-format profile.
#[derive(Debug, Clone)]
pub struct Profile {
    default_action: Action,
    entries: Vec<Entry>,
}

/// The compiled BPF programs, installed in order.
pub struct Filters(Vec<BpfProgram>);

/// What a filter tells the kernel to do with a syscall. The variants are in the kernel's order of
/// precedence, least restrictive first, so `Ord` says which result wins when filters disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    Allow,
    Log,
    Trace(u16),
    Errno(u16),
    Trap,
    KillThread,
    KillProcess,
}

/// One element of a profile's `syscalls` list, validated.
#[derive(Debug, Clone)]
struct Entry {
    names: Vec<String>,
    action: Action,
    /// All must hold for the entry to match a call; empty means it matches every call.
    args: Vec<ArgCmp>,
    includes: Selector,
    excludes: Selector,
}

/// The `includes` / `excludes` conditions of an entry.
#[derive(Debug, Clone, Default)]
struct Selector {
    caps: Vec<String>,
    arches: Vec<String>,
    min_kernel: Option<(u32, u32)>,
}

/// A comparison of one syscall argument (index 0..=5) as libseccomp does it: on all 64 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ArgCmp {
    index: u8,
    cmp: Cmp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq(u64),
    Ne(u64),
    Lt(u64),
    Le(u64),
    Gt(u64),
    Ge(u64),
    /// `arg & mask == value`
    MaskedEq {
        mask: u64,
        value: u64,
    },
}

/// The container a profile is compiled for.
struct Target<'a> {
    caps: &'a HashSet<String>,
    kernel: (u32, u32),
}

/// The profile reduced to one container: what `compile` turns into BPF.
#[derive(Debug)]
struct Policy {
    default_action: Action,
    rules: Vec<Rule>,
}

/// "This syscall, when these arguments match, gets this action."
#[derive(Debug, Clone, PartialEq)]
struct Rule {
    syscall: &'static str,
    nr: i64,
    action: Action,
    args: Vec<ArgCmp>,
}

/// One seccomp filter of the stack: listed syscalls that match get `on_match`, all else
/// `on_mismatch` (the shape seccompiler generates).
#[derive(Debug, PartialEq)]
struct FilterPlan {
    on_match: Action,
    on_mismatch: Action,
    syscalls: BTreeMap<i64, Match>,
}

/// When a call of one syscall matches within a filter.
#[derive(Debug, PartialEq)]
enum Match {
    Always,
    /// When all comparisons of at least one of the lists hold.
    AnyOf(Vec<Vec<ArgCmp>>),
}

impl Profile {
    /// Docker's default profile, as `docker run` applies it.
    pub fn docker_default() -> Profile {
        Profile::from_json(DOCKER_DEFAULT_JSON.as_bytes())
            .expect("the embedded Docker default seccomp profile parses")
    }

    /// Reads a profile in Docker's JSON format.
    pub fn from_json(bytes: &[u8]) -> Result<Profile> {
        let json: ProfileJson = serde_json::from_slice(bytes)
            .context("invalid seccomp profile (not Docker's JSON format)")?;
        Profile::from_parsed(json).context("invalid seccomp profile")
    }

    /// Compile for the running architecture, for a container whose effective capability set is
    /// `caps` (names like "CAP_SYS_ADMIN") on kernel version `kernel` (major, minor).
    pub fn compile(&self, caps: &HashSet<String>, kernel: (u32, u32)) -> Result<Filters> {
        let policy = self.policy(&Target { caps, kernel });
        let programs = plan_filters(&policy)?
            .iter()
            .map(FilterPlan::to_bpf)
            .collect::<Result<_>>()
            .context("compiling the seccomp profile")?;
        Ok(Filters(programs))
    }

    fn from_parsed(json: ProfileJson) -> Result<Profile> {
        let default_action =
            parse_action(&json.default_action, json.default_errno_ret).context("defaultAction")?;
        let entries = json
            .syscalls
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, syscall)| {
                let label = format!("syscalls[{i}] {:?}", syscall.names_for_messages());
                parse_entry(syscall).context(label)
            })
            .collect::<Result<_>>()?;
        Ok(Profile {
            default_action,
            entries,
        })
    }

    /// The rules that apply to `target`, with syscall numbers for this architecture.
    fn policy(&self, target: &Target) -> Policy {
        let mut rules = Vec::new();
        for entry in self.entries.iter().filter(|entry| entry.applies_to(target)) {
            // A rule with the default action changes nothing (libseccomp refuses such rules and
            // runc skips them), and one whose comparisons can never hold never matches.
            if entry.action == self.default_action || !entry.args.iter().all(ArgCmp::can_hold) {
                continue;
            }
            // Names unknown here belong to other architectures (chown32, socketcall on x86_64).
            for (syscall, nr) in entry.names.iter().filter_map(|name| syscall_number(name)) {
                rules.push(Rule {
                    syscall,
                    nr,
                    action: entry.action,
                    args: entry.args.clone(),
                });
            }
        }
        Policy {
            default_action: self.default_action,
            rules,
        }
    }
}

impl Filters {
    /// Installs the filters on the calling thread, in order; from then on every syscall of the
    /// thread and of what it execs is filtered. The kernel requires no_new_privs or CAP_SYS_ADMIN
    /// (in the thread's user namespace) for this. Unlike seccompiler's `apply_filter`, this does
    /// not set no_new_privs itself: without `--security-opt no-new-privileges` a container
    /// installs its filters while it still holds CAP_SYS_ADMIN and keeps setuid working, as
    /// under Docker.
    pub fn install(&self) -> Result<()> {
        for (i, program) in self.0.iter().enumerate() {
            install_program(program).with_context(|| {
                format!("installing seccomp filter {} of {}", i + 1, self.0.len())
            })?;
        }
        Ok(())
    }
}

// ---- Cache --------------------------------------------------------------------------------------
//
// Parsing and compiling Docker's default profile was a third of the CLI's own work in
// `skiff run`, the same at every start. So compiled filters are kept in the store, one file per
// profile, capability set and kernel version. A file names the skiff binary that compiled it
// (device, inode, size and change time of the executable): another build compiles afresh and
// replaces it, so a change to the compiler never meets filters of the old one.

/// Compiles the profile whose JSON is `json` (`profile` parses it when the cache has no
/// filters for it) for `caps` on `kernel`, through the cache directory `cache`.
pub fn compile_cached(
    cache: &Path,
    json: &[u8],
    profile: impl FnOnce() -> Result<Profile>,
    caps: &HashSet<String>,
    kernel: (u32, u32),
) -> Result<Filters> {
    let Some(compiler) = compiler_identity() else {
        return profile()?.compile(caps, kernel);
    };
    let path = cache.join(cache_key(json, caps, kernel));
    let cached = fs::read(&path).ok();
    if let Some(filters) = cached.and_then(|bytes| Filters::from_cache(&bytes, &compiler)) {
        return Ok(filters);
    }
    let filters = profile()?.compile(caps, kernel)?;
    // A cache that cannot be written costs the next start a compile, nothing more.
    if fs::create_dir_all(cache).is_ok() {
        let _ = crate::store::write_atomic(&path, &filters.to_cache(&compiler));
    }
    Ok(filters)
}

/// The file name for a profile, capability set and kernel version.
fn cache_key(json: &[u8], caps: &HashSet<String>, kernel: (u32, u32)) -> String {
    use sha2::Digest;
    let mut caps: Vec<&str> = caps.iter().map(String::as_str).collect();
    caps.sort_unstable();
    let mut hash = sha2::Sha256::new();
    hash.update(json);
    hash.update(format!("\0{}\0{}.{}", caps.join(","), kernel.0, kernel.1));
    crate::store::to_hex(&hash.finalize())
}

/// Which skiff binary this is, as the first line of the cache files it writes.
fn compiler_identity() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let exe = fs::metadata("/proc/self/exe").ok()?;
    Some(format!(
        "skiff seccomp cache {} {} {} {}.{}\n",
        exe.dev(),
        exe.ino(),
        exe.size(),
        exe.ctime(),
        exe.ctime_nsec()
    ))
}

impl Filters {
    /// `compiler`, then each program: its length (u32, little-endian) and its instructions.
    fn to_cache(&self, compiler: &str) -> Vec<u8> {
        let mut bytes = compiler.as_bytes().to_vec();
        for program in &self.0 {
            bytes.extend_from_slice(&(program.len() as u32).to_le_bytes());
            for insn in program {
                bytes.extend_from_slice(&insn.code.to_le_bytes());
                bytes.extend_from_slice(&[insn.jt, insn.jf]);
                bytes.extend_from_slice(&insn.k.to_le_bytes());
            }
        }
        bytes
    }

    /// The filters of a cache file, if `compiler` wrote it and it is whole.
    fn from_cache(bytes: &[u8], compiler: &str) -> Option<Filters> {
        let mut rest = bytes.strip_prefix(compiler.as_bytes())?;
        let mut programs = Vec::new();
        while !rest.is_empty() {
            let (len, tail) = rest.split_first_chunk::<4>()?;
            let len = u32::from_le_bytes(*len) as usize;
            let (code, tail) = tail.split_at_checked(len.checked_mul(8)?)?;
            let program = code
                .chunks_exact(8)
                .map(|insn| seccompiler::sock_filter {
                    code: u16::from_le_bytes([insn[0], insn[1]]),
                    jt: insn[2],
                    jf: insn[3],
                    k: u32::from_le_bytes([insn[4], insn[5], insn[6], insn[7]]),
                })
                .collect();
            programs.push(program);
            rest = tail;
        }
        Some(Filters(programs))
    }
}

fn install_program(program: &BpfProgram) -> io::Result<()> {
    let len =
        u16::try_from(program.len()).map_err(|_| io::Error::from_raw_os_error(libc::E2BIG))?;
    // seccompiler's sock_filter is the kernel's struct, as libc's is.
    let fprog = libc::sock_fprog {
        len,
        filter: program.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: `fprog` points at `len` instructions that outlive the call; the kernel copies them.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0,
            &fprog as *const libc::sock_fprog,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The running kernel's (major, minor) version, from uname's release ("6.1.0-18-amd64" -> (6, 1)).
pub fn host_kernel_version() -> (u32, u32) {
    // uname does not fail in practice; if it did, (0, 0) keeps entries that need a newer kernel
    // off, which errs on the restrictive side.
    nix::sys::utsname::uname()
        .ok()
        .and_then(|uts| parse_kernel_version(&uts.release().to_string_lossy()))
        .unwrap_or((0, 0))
}

/// "major.minor" at the start of `release`, whatever follows ("4.8", "6.18.44-fc", "6.9-rc1").
fn parse_kernel_version(release: &str) -> Option<(u32, u32)> {
    let (major, rest) = release.split_once('.')?;
    let minor_len = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    Some((major.parse().ok()?, rest[..minor_len].parse().ok()?))
}

// ---- JSON ---------------------------------------------------------------------------------------

/// The profile file as Docker reads it. Fields Docker accepts but skip does not need
/// (`architectures`, `archMap`, `flags`, `comment`...) are ignored, as unknown fields are.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProfileJson {
    default_action: String,
    default_errno_ret: Option<u16>,
    syscalls: Option<Vec<SyscallJson>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SyscallJson {
    /// The old spelling of a one-name `names`.
    name: Option<String>,
    names: Option<Vec<String>>,
    action: String,
    errno_ret: Option<u16>,
    args: Option<Vec<ArgJson>>,
    includes: Option<SelectorJson>,
    excludes: Option<SelectorJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ArgJson {
    #[serde(default)]
    index: u32,
    #[serde(default)]
    value: u64,
    #[serde(default)]
    value_two: u64,
    op: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SelectorJson {
    caps: Option<Vec<String>>,
    arches: Option<Vec<String>>,
    min_kernel: Option<String>,
}

impl SyscallJson {
    fn names_for_messages(&self) -> Vec<&str> {
        let names = self.names.iter().flatten().map(String::as_str);
        self.name.as_deref().into_iter().chain(names).collect()
    }
}

fn parse_entry(json: SyscallJson) -> Result<Entry> {
    let names = match (json.name, json.names) {
        (Some(_), Some(names)) if !names.is_empty() => {
            bail!("both 'name' and 'names' are given; use one of them")
        }
        (Some(name), _) => vec![name],
        (None, names) => names.unwrap_or_default(),
    };
    let args = json.args.unwrap_or_default();
    let args = args
        .iter()
        .enumerate()
        .map(|(i, arg)| parse_arg(arg).with_context(|| format!("args[{i}]")))
        .collect::<Result<_>>()?;
    Ok(Entry {
        names,
        action: parse_action(&json.action, json.errno_ret)?,
        args,
        includes: parse_selector(json.includes).context("includes")?,
        excludes: parse_selector(json.excludes).context("excludes")?,
    })
}

fn parse_action(name: &str, errno_ret: Option<u16>) -> Result<Action> {
    Ok(match name {
        "SCMP_ACT_ALLOW" => Action::Allow,
        "SCMP_ACT_ERRNO" => Action::Errno(errno_ret.unwrap_or(DEFAULT_ERRNO)),
        "SCMP_ACT_TRACE" => Action::Trace(errno_ret.unwrap_or(DEFAULT_ERRNO)),
        "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => Action::KillThread,
        "SCMP_ACT_KILL_PROCESS" => Action::KillProcess,
        "SCMP_ACT_TRAP" => Action::Trap,
        "SCMP_ACT_LOG" => Action::Log,
        "SCMP_ACT_NOTIFY" => bail!("action SCMP_ACT_NOTIFY (a user-space agent) is not supported"),
        _ => bail!(
            "unknown action {name:?}; expected SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, \
             SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_TRACE or SCMP_ACT_LOG"
        ),
    })
}

fn parse_arg(arg: &ArgJson) -> Result<ArgCmp> {
    let index = u8::try_from(arg.index)
        .ok()
        .filter(|&index| index <= 5)
        .ok_or_else(|| {
            anyhow!(
                "argument index {} is out of range (syscalls have arguments 0 to 5)",
                arg.index
            )
        })?;
    let value = arg.value;
    let cmp = match arg.op.as_str() {
        "SCMP_CMP_EQ" => Cmp::Eq(value),
        "SCMP_CMP_NE" => Cmp::Ne(value),
        "SCMP_CMP_LT" => Cmp::Lt(value),
        "SCMP_CMP_LE" => Cmp::Le(value),
        "SCMP_CMP_GT" => Cmp::Gt(value),
        "SCMP_CMP_GE" => Cmp::Ge(value),
        // Docker's format puts the mask in `value` and the expected value in `valueTwo`.
        "SCMP_CMP_MASKED_EQ" => Cmp::MaskedEq {
            mask: value,
            value: arg.value_two,
        },
        op => bail!(
            "unknown comparison operator {op:?}; expected SCMP_CMP_EQ, SCMP_CMP_NE, SCMP_CMP_LT, \
             SCMP_CMP_LE, SCMP_CMP_GT, SCMP_CMP_GE or SCMP_CMP_MASKED_EQ"
        ),
    };
    Ok(ArgCmp { index, cmp })
}

fn parse_selector(json: Option<SelectorJson>) -> Result<Selector> {
    let Some(json) = json else {
        return Ok(Selector::default());
    };
    let min_kernel = match json.min_kernel.as_deref() {
        None | Some("") => None,
        Some(version) => Some(parse_kernel_version(version).ok_or_else(|| {
            anyhow!("minKernel {version:?} is not a kernel version like \"4.8\"")
        })?),
    };
    Ok(Selector {
        caps: json.caps.unwrap_or_default(),
        arches: json.arches.unwrap_or_default(),
        min_kernel,
    })
}

// ---- Which rules apply --------------------------------------------------------------------------

impl Entry {
    fn applies_to(&self, target: &Target) -> bool {
        self.includes.all_hold(target) && !self.excludes.any_holds(target)
    }
}

impl Selector {
    /// For `includes`: the entry applies only if everything listed holds (every cap present).
    fn all_hold(&self, target: &Target) -> bool {
        (self.arches.is_empty() || self.names_native_arch())
            && self.caps.iter().all(|cap| target.caps.contains(cap))
            && self.min_kernel.is_none_or(|min| target.kernel >= min)
    }

    /// For `excludes`: the entry is dropped if anything listed holds (any cap present).
    fn any_holds(&self, target: &Target) -> bool {
        self.names_native_arch()
            || self.caps.iter().any(|cap| target.caps.contains(cap))
            || self.min_kernel.is_some_and(|min| target.kernel >= min)
    }

    fn names_native_arch(&self) -> bool {
        self.arches
            .iter()
            .any(|arch| NATIVE_ARCH_NAMES.contains(&arch.as_str()))
    }
}

impl ArgCmp {
    /// False when no argument value can satisfy the comparison: a masked comparison expecting bits
    /// outside its mask. (seccompiler would mask the expected value and match where libseccomp
    /// never does.)
    fn can_hold(&self) -> bool {
        match self.cmp {
            Cmp::MaskedEq { mask, value } => value & !mask == 0,
            _ => true,
        }
    }

    fn to_condition(self) -> Result<SeccompCondition> {
        let (op, value) = match self.cmp {
            Cmp::Eq(value) => (SeccompCmpOp::Eq, value),
            Cmp::Ne(value) => (SeccompCmpOp::Ne, value),
            Cmp::Lt(value) => (SeccompCmpOp::Lt, value),
            Cmp::Le(value) => (SeccompCmpOp::Le, value),
            Cmp::Gt(value) => (SeccompCmpOp::Gt, value),
            Cmp::Ge(value) => (SeccompCmpOp::Ge, value),
            Cmp::MaskedEq { mask, value } => (SeccompCmpOp::MaskedEq(mask), value),
        };
        Ok(SeccompCondition::new(
            self.index,
            SeccompCmpArgLen::Qword,
            op,
            value,
        )?)
    }
}

// ---- Stacking filters ---------------------------------------------------------------------------
//
// A seccompiler filter has one action for matching syscalls and one for the rest, while a profile
// has a default action plus rules with various actions. The kernel runs every installed filter
// and keeps the most restrictive result (for equal kinds, the data of the filter installed last).
// So:
// - filter A (unless the default is ALLOW): every rule -> ALLOW, anything else -> the default;
// - per other action X: the rules with action X -> X, anything else -> ALLOW.
// A call that matches no rule gets the default from A and ALLOW from the others. A call that
// matches only rules of action X gets ALLOW from A (X's rules are in A) and X from X's filter.
// A call matching rules with several actions gets the most restrictive of them. Rules with the
// default action were dropped, so A never competes with another filter on a matched call, and
// the install order matters only between filters whose actions differ in errno (or trace data)
// alone, on calls both match: the one installed last wins.
// Docker's default profile thus needs filter A alone, plus a tiny one for clone3's ENOSYS when
// CAP_SYS_ADMIN is missing; a deny-list profile (default ALLOW) needs one filter per errno.
//
// Each installed filter also judges the `seccomp` calls that install the next ones, so a filter
// that may refuse them goes last (A, for an allow list without `seccomp`); two such filters
// cannot be installed and the profile is refused.

/// The filters to install for `policy`, in install order.
fn plan_filters(policy: &Policy) -> Result<Vec<FilterPlan>> {
    let mut plans = Vec::new();
    if policy.default_action != Action::Allow {
        plans.push(FilterPlan::new(
            Action::Allow,
            policy.default_action,
            policy.rules.iter(),
        ));
    }
    let other_actions: BTreeSet<Action> = policy
        .rules
        .iter()
        .map(|rule| rule.action)
        .filter(|&action| action != Action::Allow)
        .collect();
    for action in other_actions {
        let rules = policy.rules.iter().filter(|rule| rule.action == action);
        plans.push(FilterPlan::new(action, Action::Allow, rules));
    }
    let (blocking, mut in_order): (Vec<_>, Vec<_>) =
        plans.into_iter().partition(FilterPlan::may_refuse_seccomp);
    ensure!(
        blocking.len() <= 1,
        "the profile restricts the seccomp syscall in {} filters, which cannot be installed one \
         after another; give all of seccomp's rules the same action, or allow it",
        blocking.len()
    );
    in_order.extend(blocking);
    Ok(in_order)
}

impl FilterPlan {
    fn new<'a>(
        on_match: Action,
        on_mismatch: Action,
        rules: impl Iterator<Item = &'a Rule>,
    ) -> Self {
        let mut syscalls = BTreeMap::new();
        for rule in rules {
            let alternatives = syscalls.entry(rule.nr).or_insert(Match::AnyOf(Vec::new()));
            alternatives.add(&rule.args);
        }
        FilterPlan {
            on_match,
            on_mismatch,
            syscalls,
        }
    }

    /// Whether this filter, once installed, may refuse the `seccomp` call installing the next.
    fn may_refuse_seccomp(&self) -> bool {
        let outcomes = match self.syscalls.get(&libc::SYS_seccomp) {
            Some(Match::Always) => [self.on_match, self.on_match],
            Some(Match::AnyOf(_)) => [self.on_match, self.on_mismatch],
            None => [self.on_mismatch, self.on_mismatch],
        };
        outcomes.iter().any(|&outcome| outcome != Action::Allow)
    }

    /// seccompiler spends five instructions on every syscall, and the kernel prepares and
    /// compiles each instruction again at every container start (1550 for Docker's default
    /// profile). So the syscalls that match whatever their arguments are checked first, as
    /// ranges of numbers, and seccompiler's chain is left only those with argument conditions.
    fn to_bpf(&self) -> Result<BpfProgram> {
        let always: Vec<i64> = self
            .syscalls
            .iter()
            .filter(|(_, matching)| **matching == Match::Always)
            .map(|(&nr, _)| nr)
            .collect();
        let rules = self
            .syscalls
            .iter()
            .filter(|(_, matching)| **matching != Match::Always)
            .map(|(&nr, matching)| Ok((nr, matching.to_seccomp_rules()?)))
            .collect::<Result<_>>()?;
        let filter = SeccompFilter::new(
            rules,
            self.on_mismatch.into(),
            self.on_match.into(),
            TARGET_ARCH,
        )?;
        let mut program: BpfProgram = filter.try_into()?;
        if !always.is_empty() {
            let on_match = SeccompAction::from(self.on_match).into();
            insert_range_checks(&mut program, &number_ranges(&always)?, on_match);
        }
        reject_x32_syscalls(&mut program)?;
        Ok(program)
    }
}

/// Sorted syscall numbers as ranges of consecutive numbers (first, last).
fn number_ranges(numbers: &[i64]) -> Result<Vec<(u32, u32)>> {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for &nr in numbers {
        let nr = u32::try_from(nr).context("syscall number out of range")?;
        match ranges.last_mut() {
            Some((_, last)) if last.checked_add(1) == Some(nr) => *last = nr,
            _ => ranges.push((nr, nr)),
        }
    }
    Ok(ranges)
}

/// Puts checks returning `action` for syscall numbers in `ranges` right after the program
/// loads the number (seccompiler's programs start with 3 instructions checking the arch, then
/// load it unless they have no rules); other numbers go on to the rest of the program.
fn insert_range_checks(program: &mut BpfProgram, ranges: &[(u32, u32)], action: u32) {
    let load_syscall_number = bpf(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0, 0, 0);
    if program.get(3) != Some(&load_syscall_number) {
        program.insert(3, load_syscall_number);
    }
    program.splice(4..4, range_checks(ranges, action));
}

/// Scans sorted ranges: a number below a range's first cannot be in a later one, so the scan
/// ends there. Blocks of at most 100 ranges, each closed by its own return, keep every jump
/// within BPF's reach of 255 instructions.
fn range_checks(ranges: &[(u32, u32)], action: u32) -> Vec<seccompiler::sock_filter> {
    let mut checks = Vec::new();
    for block in ranges.chunks(100) {
        for (i, &(first, last)) in block.iter().enumerate() {
            // From this pair, the block's return is 2 * left - 1 instructions ahead of the
            // second jump, and what follows the block 2 * left + 1 ahead of the first.
            let left = (block.len() - i) as u8;
            checks.push(bpf(
                libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K,
                first,
                0,
                2 * left + 1,
            ));
            checks.push(bpf(
                libc::BPF_JMP | libc::BPF_JGT | libc::BPF_K,
                last,
                0,
                2 * left - 1,
            ));
        }
        checks.push(bpf(libc::BPF_JMP | libc::BPF_JA, 1, 0, 0));
        checks.push(bpf(libc::BPF_RET | libc::BPF_K, action, 0, 0));
    }
    checks
}

fn bpf(code: u32, k: u32, jt: u8, jf: u8) -> seccompiler::sock_filter {
    seccompiler::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    }
}

impl Match {
    /// Entries for the same syscall are ORed; an unconditional one makes the others moot.
    fn add(&mut self, args: &[ArgCmp]) {
        if args.is_empty() {
            *self = Match::Always;
        } else if let Match::AnyOf(alternatives) = self {
            if !alternatives.iter().any(|known| known == args) {
                alternatives.push(args.to_vec());
            }
        }
    }

    /// seccompiler's form: an empty rule list means "always".
    fn to_seccomp_rules(&self) -> Result<Vec<SeccompRule>> {
        let Match::AnyOf(alternatives) = self else {
            return Ok(Vec::new());
        };
        alternatives
            .iter()
            .map(|args| {
                let conditions = args
                    .iter()
                    .map(|arg| arg.to_condition())
                    .collect::<Result<_>>()?;
                Ok(SeccompRule::new(conditions)?)
            })
            .collect()
    }
}

impl From<Action> for SeccompAction {
    fn from(action: Action) -> Self {
        match action {
            Action::Allow => SeccompAction::Allow,
            Action::Log => SeccompAction::Log,
            Action::Trace(data) => SeccompAction::Trace(data.into()),
            Action::Errno(errno) => SeccompAction::Errno(errno.into()),
            Action::Trap => SeccompAction::Trap,
            Action::KillThread => SeccompAction::KillThread,
            Action::KillProcess => SeccompAction::KillProcess,
        }
    }
}

/// x32 syscalls reach an x86_64 filter with the native audit arch, their numbers offset by
/// `__X32_SYSCALL_BIT`. No rule matches such numbers, so under a deny-list profile every x32
/// syscall would pass. Kill them, as seccompiler's prologue does for i386 calls.
#[cfg(target_arch = "x86_64")]
fn reject_x32_syscalls(program: &mut BpfProgram) -> Result<()> {
    const X32_SYSCALL_BIT: u32 = 0x4000_0000;
    let load_syscall_number = bpf(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0, 0, 0);
    // The programs start with 3 instructions checking the arch, then (if the filter has rules)
    // load the syscall number. No jump crosses the point after that load.
    if program.get(3) == Some(&load_syscall_number) {
        let guard = [
            bpf(
                libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K,
                X32_SYSCALL_BIT,
                0,
                1,
            ),
            bpf(
                libc::BPF_RET | libc::BPF_K,
                libc::SECCOMP_RET_KILL_PROCESS,
                0,
                0,
            ),
        ];
        program.splice(4..4, guard);
    }
    // BPF_MAXINSNS
    ensure!(
        program.len() <= 4096,
        "seccomp filter too large ({} BPF instructions)",
        program.len()
    );
    Ok(())
}

#[cfg(not(target_arch = "x86_64"))]
fn reject_x32_syscalls(_program: &mut BpfProgram) -> Result<()> {
    Ok(())
}

// ---- Syscall numbers ----------------------------------------------------------------------------

/// This architecture's number for a syscall name, and the name as a `&'static str`.
fn syscall_number(name: &str) -> Option<(&'static str, i64)> {
    find_syscall(SYSCALLS_ON_BOTH_ARCHES, name)
        .or_else(|| find_syscall(SYSCALLS_ON_THIS_ARCH, name))
}

fn find_syscall(table: &'static [(&'static str, i64)], name: &str) -> Option<(&'static str, i64)> {
    let index = table
        .binary_search_by(|&(sys, _)| sys_name(sys).cmp(name))
        .ok()?;
    let (sys, nr) = table[index];
    Some((sys_name(sys), nr))
}

/// "SYS_open" -> "open".
fn sys_name(constant: &'static str) -> &'static str {
    &constant["SYS_".len()..]
}

/// `(name, number)` of the `libc` crate's `SYS_*` constants, in the order listed (sorted by name).
macro_rules! syscall_table {
    ($($constant:ident)*) => { &[$((stringify!($constant), libc::$constant)),*] };
}

// Generated from the libc crate (0.2.191): the `SYS_*` names that both its glibc and musl modules
// define, for x86_64 and aarch64. Syscalls libc lacks (e.g. cachestat, futex_wait, io_pgetevents)
// are left to the default action, like names of other architectures.

/// Syscalls the libc crate defines for both x86_64 and aarch64.
const SYSCALLS_ON_BOTH_ARCHES: &[(&str, i64)] = syscall_table![
    SYS_accept SYS_accept4 SYS_acct SYS_add_key SYS_adjtimex SYS_bind SYS_bpf SYS_brk SYS_capget
    SYS_capset SYS_chdir SYS_chroot SYS_clock_adjtime SYS_clock_getres SYS_clock_gettime
    SYS_clock_nanosleep SYS_clock_settime SYS_clone SYS_clone3 SYS_close SYS_close_range
    SYS_connect SYS_copy_file_range SYS_delete_module SYS_dup SYS_dup3 SYS_epoll_create1
    SYS_epoll_ctl SYS_epoll_pwait SYS_epoll_pwait2 SYS_eventfd2 SYS_execve SYS_execveat SYS_exit
    SYS_exit_group SYS_faccessat SYS_faccessat2 SYS_fadvise64 SYS_fallocate SYS_fanotify_init
    SYS_fanotify_mark SYS_fchdir SYS_fchmod SYS_fchmodat SYS_fchown SYS_fchownat SYS_fcntl
    SYS_fdatasync SYS_fgetxattr SYS_finit_module SYS_flistxattr SYS_flock SYS_fremovexattr
    SYS_fsconfig SYS_fsetxattr SYS_fsmount SYS_fsopen SYS_fspick SYS_fstat SYS_fstatfs SYS_fsync
    SYS_ftruncate SYS_futex SYS_futex_waitv SYS_get_mempolicy SYS_get_robust_list SYS_getcpu
    SYS_getcwd SYS_getdents64 SYS_getegid SYS_geteuid SYS_getgid SYS_getgroups SYS_getitimer
    SYS_getpeername SYS_getpgid SYS_getpid SYS_getppid SYS_getpriority SYS_getrandom
    SYS_getresgid SYS_getresuid SYS_getrusage SYS_getsid SYS_getsockname SYS_getsockopt
    SYS_gettid SYS_gettimeofday SYS_getuid SYS_getxattr SYS_init_module SYS_inotify_add_watch
    SYS_inotify_init1 SYS_inotify_rm_watch SYS_io_cancel SYS_io_destroy SYS_io_getevents
    SYS_io_setup SYS_io_submit SYS_io_uring_enter SYS_io_uring_register SYS_io_uring_setup
    SYS_ioctl SYS_ioprio_get SYS_ioprio_set SYS_kcmp SYS_kexec_load SYS_keyctl SYS_kill
    SYS_landlock_add_rule SYS_landlock_create_ruleset SYS_landlock_restrict_self SYS_lgetxattr
    SYS_linkat SYS_listen SYS_listxattr SYS_llistxattr SYS_lookup_dcookie SYS_lremovexattr
    SYS_lseek SYS_lsetxattr SYS_madvise SYS_mbind SYS_membarrier SYS_memfd_create
    SYS_memfd_secret SYS_migrate_pages SYS_mincore SYS_mkdirat SYS_mknodat SYS_mlock SYS_mlock2
    SYS_mlockall SYS_mmap SYS_mount SYS_mount_setattr SYS_move_mount SYS_move_pages SYS_mprotect
    SYS_mq_getsetattr SYS_mq_notify SYS_mq_open SYS_mq_timedreceive SYS_mq_timedsend
    SYS_mq_unlink SYS_mremap SYS_mseal SYS_msgctl SYS_msgget SYS_msgrcv SYS_msgsnd SYS_msync
    SYS_munlock SYS_munlockall SYS_munmap SYS_name_to_handle_at SYS_nanosleep SYS_newfstatat
    SYS_nfsservctl SYS_open_by_handle_at SYS_open_tree SYS_openat SYS_openat2
    SYS_perf_event_open SYS_personality SYS_pidfd_getfd SYS_pidfd_open SYS_pidfd_send_signal
    SYS_pipe2 SYS_pivot_root SYS_pkey_alloc SYS_pkey_free SYS_pkey_mprotect SYS_ppoll SYS_prctl
    SYS_pread64 SYS_preadv SYS_preadv2 SYS_prlimit64 SYS_process_madvise SYS_process_mrelease
    SYS_process_vm_readv SYS_process_vm_writev SYS_pselect6 SYS_ptrace SYS_pwrite64 SYS_pwritev
    SYS_pwritev2 SYS_quotactl SYS_quotactl_fd SYS_read SYS_readahead SYS_readlinkat SYS_readv
    SYS_reboot SYS_recvfrom SYS_recvmmsg SYS_recvmsg SYS_remap_file_pages SYS_removexattr
    SYS_renameat2 SYS_request_key SYS_restart_syscall SYS_rseq SYS_rt_sigaction
    SYS_rt_sigpending SYS_rt_sigprocmask SYS_rt_sigqueueinfo SYS_rt_sigreturn SYS_rt_sigsuspend
    SYS_rt_sigtimedwait SYS_rt_tgsigqueueinfo SYS_sched_get_priority_max
    SYS_sched_get_priority_min SYS_sched_getaffinity SYS_sched_getattr SYS_sched_getparam
    SYS_sched_getscheduler SYS_sched_rr_get_interval SYS_sched_setaffinity SYS_sched_setattr
    SYS_sched_setparam SYS_sched_setscheduler SYS_sched_yield SYS_seccomp SYS_semctl SYS_semget
    SYS_semop SYS_semtimedop SYS_sendfile SYS_sendmmsg SYS_sendmsg SYS_sendto SYS_set_mempolicy
    SYS_set_mempolicy_home_node SYS_set_robust_list SYS_set_tid_address SYS_setdomainname
    SYS_setfsgid SYS_setfsuid SYS_setgid SYS_setgroups SYS_sethostname SYS_setitimer SYS_setns
    SYS_setpgid SYS_setpriority SYS_setregid SYS_setresgid SYS_setresuid SYS_setreuid SYS_setsid
    SYS_setsockopt SYS_settimeofday SYS_setuid SYS_setxattr SYS_shmat SYS_shmctl SYS_shmdt
    SYS_shmget SYS_shutdown SYS_sigaltstack SYS_signalfd4 SYS_socket SYS_socketpair SYS_splice
    SYS_statfs SYS_statx SYS_swapoff SYS_swapon SYS_symlinkat SYS_sync SYS_syncfs SYS_sysinfo
    SYS_syslog SYS_tee SYS_tgkill SYS_timer_create SYS_timer_delete SYS_timer_getoverrun
    SYS_timer_gettime SYS_timer_settime SYS_timerfd_create SYS_timerfd_gettime
    SYS_timerfd_settime SYS_times SYS_tkill SYS_truncate SYS_umask SYS_umount2 SYS_uname
    SYS_unlinkat SYS_unshare SYS_userfaultfd SYS_utimensat SYS_vhangup SYS_vmsplice SYS_wait4
    SYS_waitid SYS_write SYS_writev
];

/// Syscalls the libc crate defines for x86_64 only (a few exist on aarch64 too, libc lacks them).
#[cfg(target_arch = "x86_64")]
const SYSCALLS_ON_THIS_ARCH: &[(&str, i64)] = syscall_table![
    SYS__sysctl SYS_access SYS_afs_syscall SYS_alarm SYS_arch_prctl SYS_chmod SYS_chown
    SYS_creat SYS_dup2 SYS_epoll_create SYS_epoll_ctl_old SYS_epoll_wait SYS_epoll_wait_old
    SYS_eventfd SYS_fchmodat2 SYS_fork SYS_futimesat SYS_get_thread_area SYS_getdents
    SYS_getpgrp SYS_getpmsg SYS_getrlimit SYS_inotify_init SYS_ioperm SYS_iopl
    SYS_kexec_file_load SYS_lchown SYS_link SYS_lstat SYS_mkdir SYS_mknod SYS_modify_ldt
    SYS_open SYS_pause SYS_pipe SYS_poll SYS_putpmsg SYS_readlink SYS_rename SYS_renameat
    SYS_rmdir SYS_security SYS_select SYS_set_thread_area SYS_setrlimit SYS_signalfd SYS_stat
    SYS_symlink SYS_sync_file_range SYS_sysfs SYS_time SYS_tuxcall SYS_unlink SYS_uselib
    SYS_ustat SYS_utime SYS_utimes SYS_vfork SYS_vserver
];

/// The libc crate has no aarch64 syscall that it lacks for x86_64.
#[cfg(target_arch = "aarch64")]
const SYSCALLS_ON_THIS_ARCH: &[(&str, i64)] = &[];

#[cfg(test)]
mod tests {
    use super::*;

    const DOCKER_DEFAULT_CAPS: [&str; 14] = [
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_FSETID",
        "CAP_FOWNER",
        "CAP_MKNOD",
        "CAP_NET_RAW",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETFCAP",
        "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT",
        "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ];
    const RECENT_KERNEL: (u32, u32) = (6, 1);

    fn docker_caps_plus(extra: &[&str]) -> HashSet<String> {
        DOCKER_DEFAULT_CAPS
            .iter()
            .chain(extra)
            .map(|cap| cap.to_string())
            .collect()
    }

    fn policy(profile: &Profile, caps: &HashSet<String>, kernel: (u32, u32)) -> Policy {
        profile.policy(&Target { caps, kernel })
    }

    fn default_policy(extra_caps: &[&str]) -> Policy {
        policy(
            &Profile::docker_default(),
            &docker_caps_plus(extra_caps),
            RECENT_KERNEL,
        )
    }

    /// (action, args) of every rule for `syscall`.
    fn rules_for(policy: &Policy, syscall: &str) -> Vec<(Action, Vec<ArgCmp>)> {
        let rules = policy.rules.iter().filter(|rule| rule.syscall == syscall);
        rules.map(|rule| (rule.action, rule.args.clone())).collect()
    }

    fn eq(index: u8, value: u64) -> ArgCmp {
        ArgCmp {
            index,
            cmp: Cmp::Eq(value),
        }
    }

    fn nr(name: &str) -> i64 {
        syscall_number(name).expect("known syscall").1
    }

    fn profile(json: &str) -> Profile {
        Profile::from_json(json.as_bytes()).expect("test profile parses")
    }

    fn error_of(json: &str) -> String {
        format!(
            "{:#}",
            Profile::from_json(json.as_bytes()).expect_err("profile is refused")
        )
    }

    #[test]
    fn syscall_tables_are_sorted_and_disjoint() {
        for table in [SYSCALLS_ON_BOTH_ARCHES, SYSCALLS_ON_THIS_ARCH] {
            assert!(
                table.windows(2).all(|pair| pair[0].0 < pair[1].0),
                "sorted, no duplicates"
            );
        }
        for (sys, _) in SYSCALLS_ON_THIS_ARCH {
            assert!(find_syscall(SYSCALLS_ON_BOTH_ARCHES, sys_name(sys)).is_none());
        }
        assert_eq!(syscall_number("getpid"), Some(("getpid", libc::SYS_getpid)));
        assert_eq!(syscall_number("chown32"), None);
        assert_eq!(syscall_number("socketcall"), None);
    }

    #[test]
    fn kernel_versions() {
        assert_eq!(parse_kernel_version("4.8"), Some((4, 8)));
        assert_eq!(parse_kernel_version("6.18.44-fc-v657"), Some((6, 18)));
        assert_eq!(parse_kernel_version("6.9-rc1"), Some((6, 9)));
        assert_eq!(parse_kernel_version("6"), None);
        assert_eq!(parse_kernel_version("x.1"), None);
        assert!(host_kernel_version() >= (3, 0));
    }

    #[test]
    fn docker_default_with_docker_caps() {
        let policy = default_policy(&[]);
        assert_eq!(policy.default_action, Action::Errno(1));
        assert_eq!(rules_for(&policy, "getpid"), [(Action::Allow, vec![])]);
        // CAP_SYS_ADMIN syscalls are left to the default action.
        for syscall in ["mount", "unshare", "setns", "bpf", "umount2"] {
            assert_eq!(rules_for(&policy, syscall), [], "{syscall}");
        }
        assert_eq!(rules_for(&policy, "clone3"), [(Action::Errno(38), vec![])]);
        let clone_without_namespace_flags = ArgCmp {
            index: 0,
            cmp: Cmp::MaskedEq {
                mask: 0x7E02_0000,
                value: 0,
            },
        };
        assert_eq!(
            rules_for(&policy, "clone"),
            [(Action::Allow, vec![clone_without_namespace_flags])]
        );
        let personas = [0, 8, 0x20000, 0x20008, 0xffff_ffff];
        let personality = personas.map(|persona| (Action::Allow, vec![eq(0, persona)]));
        assert_eq!(rules_for(&policy, "personality"), personality);
        assert_eq!(rules_for(&policy, "socket").len(), 3);
        // minKernel 4.8 applies, the CAP_SYS_PTRACE entry does not.
        assert_eq!(rules_for(&policy, "ptrace"), [(Action::Allow, vec![])]);
        #[cfg(target_arch = "x86_64")]
        assert_eq!(rules_for(&policy, "arch_prctl"), [(Action::Allow, vec![])]);
        assert!(policy.rules.iter().all(|rule| rule.syscall != "chown32"));

        // Filter A, and one small filter for clone3's ENOSYS.
        let plans = plan_filters(&policy).unwrap();
        assert_eq!(plans.len(), 2);
        assert_eq!(
            (plans[0].on_match, plans[0].on_mismatch),
            (Action::Allow, Action::Errno(1))
        );
        assert_eq!(plans[0].syscalls[&nr("clone3")], Match::Always);
        assert!(
            matches!(&plans[0].syscalls[&nr("personality")], Match::AnyOf(lists) if lists.len() == 5)
        );
        let clone3_only = FilterPlan {
            on_match: Action::Errno(38),
            on_mismatch: Action::Allow,
            syscalls: BTreeMap::from([(nr("clone3"), Match::Always)]),
        };
        assert_eq!(plans[1], clone3_only);
    }

    #[test]
    fn docker_default_with_sys_admin() {
        let policy = default_policy(&["CAP_SYS_ADMIN"]);
        assert_eq!(rules_for(&policy, "mount"), [(Action::Allow, vec![])]);
        assert_eq!(rules_for(&policy, "clone3"), [(Action::Allow, vec![])]);
        assert_eq!(rules_for(&policy, "clone"), [(Action::Allow, vec![])]);
        let plans = plan_filters(&policy).unwrap();
        assert_eq!(plans.len(), 1, "everything is ALLOW: filter A alone");
        assert_eq!(plans[0].syscalls[&nr("clone")], Match::Always);
    }

    #[test]
    fn docker_default_on_old_kernel() {
        let policy = policy(&Profile::docker_default(), &docker_caps_plus(&[]), (4, 4));
        assert_eq!(rules_for(&policy, "ptrace"), []);
        let with_ptrace_cap = docker_caps_plus(&["CAP_SYS_PTRACE"]);
        let policy = self::policy(&Profile::docker_default(), &with_ptrace_cap, (4, 4));
        assert_eq!(rules_for(&policy, "ptrace"), [(Action::Allow, vec![])]);
    }

    #[test]
    fn profiles_compile() {
        let docker_default = Profile::docker_default();
        let with_docker_caps = docker_default.compile(&docker_caps_plus(&[]), RECENT_KERNEL);
        assert_eq!(with_docker_caps.unwrap().0.len(), 2);
        let with_sys_admin = docker_caps_plus(&["CAP_SYS_ADMIN"]);
        assert_eq!(
            docker_default
                .compile(&with_sys_admin, RECENT_KERNEL)
                .unwrap()
                .0
                .len(),
            1
        );
        let unconfined = profile(r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": null}"#);
        let filters = unconfined.compile(&HashSet::new(), RECENT_KERNEL).unwrap();
        assert!(filters.0.is_empty());
        filters.install().expect("installing no filter is a no-op");
    }

    #[test]
    fn unconditional_entry_wins_over_conditional_ones() {
        for order in [[0, 1], [1, 0]] {
            let entries = [
                r#"{"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}"#,
                r#"{"names": ["personality"], "action": "SCMP_ACT_ALLOW"}"#,
            ];
            let json = format!(
                r#"{{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{}, {}]}}"#,
                entries[order[0]], entries[order[1]]
            );
            let plans =
                plan_filters(&policy(&profile(&json), &HashSet::new(), RECENT_KERNEL)).unwrap();
            assert_eq!(plans.len(), 1);
            assert_eq!(plans[0].syscalls[&nr("personality")], Match::Always);
        }
    }

    #[test]
    fn deny_list_profile_needs_one_filter_per_action() {
        let deny_list = profile(
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
                {"name": "getppid", "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
                 "args": [{"index": 0, "value": 7, "op": "SCMP_CMP_EQ"}]},
                {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"},
                {"names": ["no_such_syscall", "chown32"], "action": "SCMP_ACT_ERRNO"}
            ]}"#,
        );
        let plans = plan_filters(&policy(&deny_list, &HashSet::new(), RECENT_KERNEL)).unwrap();
        assert_eq!(plans.len(), 1, "{plans:#?}");
        assert_eq!(
            (plans[0].on_match, plans[0].on_mismatch),
            (Action::Errno(13), Action::Allow)
        );
        let getppid_with_7 = Match::AnyOf(vec![vec![eq(0, 7)]]);
        assert_eq!(plans[0].syscalls[&nr("getppid")], getppid_with_7);
        assert_eq!(plans[0].syscalls[&nr("mkdirat")], Match::Always);
        assert!(
            !plans[0].syscalls.contains_key(&nr("getpid")),
            "ALLOW is the default: dropped"
        );
    }

    #[test]
    fn filters_that_may_refuse_seccomp_go_last() {
        let allow_list_without_seccomp = profile(
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"},
                {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
            ]}"#,
        );
        let plans = plan_filters(&policy(
            &allow_list_without_seccomp,
            &HashSet::new(),
            RECENT_KERNEL,
        ))
        .unwrap();
        let actions: Vec<_> = plans
            .iter()
            .map(|plan| (plan.on_match, plan.on_mismatch))
            .collect();
        assert_eq!(
            actions,
            [
                (Action::Errno(38), Action::Allow),
                (Action::Allow, Action::Errno(1))
            ]
        );

        let seccomp_refused_twice = profile(
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                {"names": ["seccomp"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
                 "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}
            ]}"#,
        );
        let error = plan_filters(&policy(
            &seccomp_refused_twice,
            &HashSet::new(),
            RECENT_KERNEL,
        ))
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("restricts the seccomp syscall in 2 filters"),
            "{error}"
        );
    }

    #[test]
    fn includes_and_excludes() {
        let json = r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_A", "CAP_B"]}},
            {"names": ["getppid"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_A", "CAP_B"]}},
            {"names": ["gettid"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["x86"]}},
            {"names": ["getuid"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "arm64"]}},
            {"names": ["getgid"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64", "arm64"]}},
            {"names": ["geteuid"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "5.0"}},
            {"names": ["getegid"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "5.0"}},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 1, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ"}]}
        ]}"#;
        let allowed = |caps: &[&str], kernel| {
            let caps = caps.iter().map(|cap| cap.to_string()).collect();
            let policy = policy(&profile(json), &caps, kernel);
            policy
                .rules
                .iter()
                .map(|rule| rule.syscall)
                .collect::<Vec<_>>()
        };
        assert_eq!(allowed(&["CAP_A"], (4, 9)), ["getuid", "geteuid"]);
        assert_eq!(allowed(&[], (5, 0)), ["getppid", "getuid", "getegid"]);
        assert_eq!(
            allowed(&["CAP_A", "CAP_B"], (5, 10)),
            ["getpid", "getuid", "getegid"]
        );
    }

    #[test]
    fn bad_profiles_get_clear_errors() {
        let error = error_of(r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [}"#);
        assert!(
            error.starts_with("invalid seccomp profile") && error.contains("line 1"),
            "{error}"
        );
        let error = error_of(r#"{"syscalls": []}"#);
        assert!(error.contains("missing field `defaultAction`"), "{error}");
        let error = error_of(r#"{"defaultAction": "SCMP_ACT_DENY"}"#);
        assert!(
            error.contains("defaultAction: unknown action \"SCMP_ACT_DENY\""),
            "{error}"
        );

        let with_entry = |entry: &str| {
            error_of(&format!(
                r#"{{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{entry}]}}"#
            ))
        };
        let error = with_entry(r#"{"names": ["mkdir"], "action": "SCMP_ACT_EXPLODE"}"#);
        assert!(
            error.contains(r#"syscalls[0] ["mkdir"]: unknown action "SCMP_ACT_EXPLODE"; expected"#),
            "{error}"
        );
        let error = with_entry(
            r#"{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]}"#,
        );
        assert!(
            error.contains(
                r#"syscalls[0] ["socket"]: args[0]: unknown comparison operator "SCMP_CMP_ABOUT""#
            ),
            "{error}"
        );
        let error = with_entry(
            r#"{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "op": "SCMP_CMP_EQ"}]}"#,
        );
        assert!(
            error.contains("argument index 6 is out of range"),
            "{error}"
        );
        let error = with_entry(
            r#"{"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "five"}}"#,
        );
        assert!(
            error.contains(r#"includes: minKernel "five" is not a kernel version"#),
            "{error}"
        );
        let error = with_entry(r#"{"name": "a", "names": ["b"], "action": "SCMP_ACT_ERRNO"}"#);
        assert!(error.contains("both 'name' and 'names'"), "{error}");
        let error = with_entry(r#"{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}"#);
        assert!(error.contains("SCMP_ACT_NOTIFY"), "{error}");
    }

    #[test]
    fn compiled_filters_are_cached() {
        let cache =
            std::env::temp_dir().join(format!("skiff-seccomp-cache-{}", std::process::id()));
        let json = DOCKER_DEFAULT_JSON.as_bytes();
        let caps = docker_caps_plus(&[]);
        let compiled = |parse: &dyn Fn() -> Result<Profile>| {
            compile_cached(&cache, json, parse, &caps, RECENT_KERNEL).unwrap()
        };
        let first = compiled(&|| Ok(Profile::docker_default()));
        let again = compiled(&|| panic!("compiled again instead of read from the cache"));
        assert_eq!(first.0, again.0);
        assert_eq!(
            first.0,
            Profile::docker_default()
                .compile(&caps, RECENT_KERNEL)
                .unwrap()
                .0
        );

        // Files of another build, or cut short, are compiled afresh.
        let file = fs::read_dir(&cache)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let bytes = fs::read(&file).unwrap();
        let other = compiler_identity().unwrap().replace("cache", "cache 0");
        assert!(Filters::from_cache(&bytes, &other).is_none());
        assert!(
            Filters::from_cache(&bytes[..bytes.len() - 3], &compiler_identity().unwrap()).is_none()
        );
        fs::write(&file, &bytes[..bytes.len() - 3]).unwrap();
        let recompiled = compiled(&|| Ok(Profile::docker_default()));
        assert_eq!(first.0, recompiled.0);
        assert_eq!(fs::read(&file).unwrap(), bytes);
        fs::remove_dir_all(&cache).unwrap();
    }

    #[test]
    #[ignore = "timing printout: cargo test --release -- --ignored --nocapture compile_timing"]
    fn compile_timing() {
        const ROUNDS: u32 = 200;
        let caps = docker_caps_plus(&[]);
        let start = std::time::Instant::now();
        for _ in 0..ROUNDS {
            Profile::docker_default();
        }
        let parse = start.elapsed() / ROUNDS;
        let profile = Profile::docker_default();
        let start = std::time::Instant::now();
        for _ in 0..ROUNDS {
            profile.compile(&caps, RECENT_KERNEL).unwrap();
        }
        let compile = start.elapsed() / ROUNDS;
        let filters = profile.compile(&caps, RECENT_KERNEL).unwrap();
        let lengths: Vec<_> = filters.0.iter().map(Vec::len).collect();
        println!("Docker's default profile: parse {parse:?}, compile {compile:?}, BPF lengths {lengths:?}");
    }

    // ---- Behaviour in the kernel ----------------------------------------------------------------

    /// A syscall to try in a filtered child, and what it should do there.
    struct Check {
        what: &'static str,
        call: Box<dyn Fn() -> libc::c_long>,
        expect: Outcome,
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Outcome {
        Succeeds,
        FailsWith(i32),
    }

    impl Outcome {
        /// From what the child recorded: the return value, or minus errno.
        fn of(result: i64) -> Outcome {
            if result >= 0 {
                Outcome::Succeeds
            } else {
                Outcome::FailsWith(-result as i32)
            }
        }
    }

    fn check(
        what: &'static str,
        expect: Outcome,
        call: impl Fn() -> libc::c_long + 'static,
    ) -> Check {
        Check {
            what,
            call: Box::new(call),
            expect,
        }
    }

    /// How the child ended, and what each check returned (or minus errno).
    struct ChildRun {
        status: libc::c_int,
        results: Vec<i64>,
    }

    /// Forks, installs `filters` in the child (if any) and runs the checks' syscalls there.
    fn run_in_child(filters: Option<&Filters>, checks: &[Check]) -> ChildRun {
        // Results travel back through shared memory set up before fork, as everything the child
        // uses must be: other test threads may hold the allocator's lock at fork time.
        let len = checks.len().max(1) * std::mem::size_of::<i64>();
        let shared = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(shared, libc::MAP_FAILED);
        let results = shared.cast::<i64>();
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            unsafe {
                libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                if filters.is_some_and(|filters| filters.install().is_err()) {
                    libc::_exit(100);
                }
                for (i, check) in checks.iter().enumerate() {
                    let ret = (check.call)();
                    let result = if ret < 0 {
                        -i64::from(*libc::__errno_location())
                    } else {
                        ret
                    };
                    results.add(i).write(result);
                }
                libc::_exit(0);
            }
        }
        let mut status = 0;
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        let results = (0..checks.len())
            .map(|i| unsafe { results.add(i).read() })
            .collect();
        unsafe { libc::munmap(shared, len) };
        ChildRun { status, results }
    }

    /// Runs the checks under `filters` and asserts every outcome.
    fn assert_behaviour(filters: &Filters, checks: &[Check]) {
        let run = run_in_child(Some(filters), checks);
        assert!(
            libc::WIFEXITED(run.status),
            "child ended abnormally: status {:#x}",
            run.status
        );
        assert_eq!(
            libc::WEXITSTATUS(run.status),
            0,
            "installing the filters failed in the child"
        );
        let report: Vec<_> = checks
            .iter()
            .zip(&run.results)
            .map(|(check, &result)| (check.what, check.expect, Outcome::of(result)))
            .collect();
        let failures: Vec<_> = report
            .iter()
            .filter(|(_, expect, got)| expect != got)
            .collect();
        assert!(failures.is_empty(), "(call, expected, got): {failures:#?}");
    }

    fn assert_killed_by_sigsys(filters: &Filters, call: impl Fn() -> libc::c_long + 'static) {
        let run = run_in_child(
            Some(filters),
            &[check("fatal call", Outcome::Succeeds, call)],
        );
        let killed_by = libc::WIFSIGNALED(run.status).then(|| libc::WTERMSIG(run.status));
        assert_eq!(killed_by, Some(libc::SIGSYS), "status {:#x}", run.status);
    }

    fn getpid() -> Check {
        check("getpid()", Outcome::Succeeds, || unsafe {
            libc::syscall(libc::SYS_getpid)
        })
    }

    fn unshare_nothing(expect: Outcome) -> Check {
        check("unshare(0)", expect, || unsafe {
            libc::syscall(libc::SYS_unshare, 0)
        })
    }

    /// Without seccomp: EFAULT, from the null target.
    fn mount_nulls(expect: Outcome) -> Check {
        check("mount(NULL...)", expect, || unsafe {
            libc::syscall(libc::SYS_mount, 0usize, 0usize, 0usize, 0usize, 0usize)
        })
    }

    /// Without seccomp: EINVAL, for the size.
    fn clone3_empty(expect: Outcome) -> Check {
        check("clone3(NULL, 0)", expect, || unsafe {
            libc::syscall(libc::SYS_clone3, 0usize, 0usize)
        })
    }

    fn personality(persona: libc::c_ulong, expect: Outcome) -> Check {
        check("personality", expect, move || unsafe {
            libc::syscall(libc::SYS_personality, persona)
        })
    }

    fn socket(domain: libc::c_int, expect: Outcome) -> Check {
        check("socket", expect, move || unsafe {
            libc::syscall(libc::SYS_socket, domain, libc::SOCK_STREAM, 0)
        })
    }

    #[test]
    fn docker_default_in_the_kernel() {
        use Outcome::*;
        let filters = Profile::docker_default()
            .compile(&docker_caps_plus(&[]), host_kernel_version())
            .unwrap();
        let checks = [
            getpid(),
            unshare_nothing(FailsWith(libc::EPERM)),
            mount_nulls(FailsWith(libc::EPERM)),
            clone3_empty(FailsWith(libc::ENOSYS)),
            personality(0xffff_ffff, Succeeds),
            personality(
                libc::ADDR_NO_RANDOMIZE as libc::c_ulong,
                FailsWith(libc::EPERM),
            ),
            socket(libc::AF_UNIX, Succeeds),
            socket(libc::AF_VSOCK, FailsWith(libc::EPERM)),
        ];
        assert_behaviour(&filters, &checks);
    }

    #[test]
    fn docker_default_with_sys_admin_in_the_kernel() {
        // With CAP_SYS_ADMIN these calls reach the kernel: same outcome as without any filter.
        let calls = || {
            [
                unshare_nothing(Outcome::Succeeds),
                mount_nulls(Outcome::Succeeds),
                clone3_empty(Outcome::Succeeds),
                getpid(),
            ]
        };
        let unfiltered = run_in_child(None, &calls()).results;
        let mut checks = calls();
        for (check, result) in checks.iter_mut().zip(unfiltered) {
            check.expect = Outcome::of(result);
        }
        let caps = docker_caps_plus(&["CAP_SYS_ADMIN"]);
        let filters = Profile::docker_default()
            .compile(&caps, host_kernel_version())
            .unwrap();
        assert_behaviour(&filters, &checks);
    }

    /// More ranges of syscall numbers than one block of range checks holds: every odd number
    /// denied, so each is a range of its own.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn many_ranges_in_the_kernel() {
        use Outcome::*;
        let denied: Vec<String> = SYSCALLS_ON_BOTH_ARCHES
            .iter()
            .chain(SYSCALLS_ON_THIS_ARCH)
            .filter(|&&(sys, nr)| nr % 2 == 1 && !["SYS_exit_group", "SYS_getpid"].contains(&sys))
            .map(|(sys, _)| format!("{:?}", sys_name(sys)))
            .collect();
        let odd = profile(&format!(
            r#"{{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                {{"names": [{}], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}}
            ]}}"#,
            denied.join(", ")
        ));
        let plans = plan_filters(&policy(&odd, &HashSet::new(), RECENT_KERNEL)).unwrap();
        let numbers: Vec<i64> = plans[0].syscalls.keys().copied().collect();
        let ranges = number_ranges(&numbers).unwrap().len();
        assert!(ranges > 150, "{ranges} ranges");
        let filters = odd.compile(&HashSet::new(), host_kernel_version()).unwrap();
        let path = std::ffi::CString::new("/nonexistent-skiff-test/dir").unwrap();
        let checks = [
            check("mkdir (83)", FailsWith(libc::EACCES), move || unsafe {
                libc::syscall(libc::SYS_mkdir, path.as_ptr(), 0o755)
            }),
            check("getpgrp (111)", FailsWith(libc::EACCES), || unsafe {
                libc::syscall(libc::SYS_getpgrp)
            }),
            check("openat2 (437)", FailsWith(libc::EACCES), || unsafe {
                libc::syscall(libc::SYS_openat2, 0, 0, 0, 0)
            }),
            check("getuid (102)", Succeeds, || unsafe {
                libc::syscall(libc::SYS_getuid)
            }),
            check("close_range (436)", Succeeds, || unsafe {
                libc::syscall(libc::SYS_close_range, 1000, 1000, 0)
            }),
            getpid(),
        ];
        assert_behaviour(&filters, &checks);
    }

    #[test]
    fn custom_profiles_in_the_kernel() {
        use Outcome::*;
        let path = std::ffi::CString::new("/nonexistent-skiff-test/dir").unwrap();
        let mkdirat = move || unsafe {
            libc::syscall(libc::SYS_mkdirat, libc::AT_FDCWD, path.as_ptr(), 0o755)
        };
        let getppid = |arg: usize| move || unsafe { libc::syscall(libc::SYS_getppid, arg) };

        // A deny list.
        let deny_list = profile(
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
                {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
                 "args": [{"index": 0, "value": 7, "op": "SCMP_CMP_EQ"}]}
            ]}"#,
        );
        let filters = deny_list
            .compile(&HashSet::new(), host_kernel_version())
            .unwrap();
        assert_eq!(filters.0.len(), 2);
        let checks = [
            check("mkdirat", FailsWith(libc::EACCES), mkdirat.clone()),
            check("getppid(7)", FailsWith(libc::ENOSYS), getppid(7)),
            check("getppid(0)", Succeeds, getppid(0)),
            getpid(),
        ];
        assert_behaviour(&filters, &checks);

        // An allow list where the most restrictive of several matching rules wins.
        let allow_list = profile(
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 95, "syscalls": [
                {"names": ["exit", "exit_group", "getpid", "getppid"], "action": "SCMP_ACT_ALLOW"},
                {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22,
                 "args": [{"index": 0, "value": 15, "valueTwo": 5, "op": "SCMP_CMP_MASKED_EQ"}]}
            ]}"#,
        );
        let filters = allow_list
            .compile(&HashSet::new(), host_kernel_version())
            .unwrap();
        let checks = [
            check("getppid(0x35)", FailsWith(libc::EINVAL), getppid(0x35)),
            check("getppid(0x36)", Succeeds, getppid(0x36)),
            check("mkdirat", FailsWith(libc::EOPNOTSUPP), mkdirat),
            getpid(),
        ];
        assert_behaviour(&filters, &checks);
    }

    #[test]
    fn kill_actions_in_the_kernel() {
        let kill_getuid = profile(
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getuid"], "action": "SCMP_ACT_KILL_PROCESS"}]}"#,
        );
        let filters = kill_getuid
            .compile(&HashSet::new(), host_kernel_version())
            .unwrap();
        assert_killed_by_sigsys(&filters, || unsafe { libc::syscall(libc::SYS_getuid) });
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn x32_syscalls_cannot_bypass_a_deny_list() {
        let deny_mkdir = profile(
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}"#,
        );
        let filters = deny_mkdir
            .compile(&HashSet::new(), host_kernel_version())
            .unwrap();
        // x32's getpid: x86_64's number plus __X32_SYSCALL_BIT.
        assert_killed_by_sigsys(&filters, || unsafe {
            libc::syscall(0x4000_0000 | libc::SYS_getpid)
        });
    }
}
